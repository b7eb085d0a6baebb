package dev.plasm.transport.spi;

import java.time.Duration;
import java.util.Objects;

/**
 * What a node serving as a relay grants other peers (circuit relay v2 for libp2p); every bound is
 * checked here so a provider can trust it.
 *
 * @param maxReservations reservations held at once (one per peer; a refresh keeps it)
 * @param maxReservationsPerIp reservations from one IP address
 * @param reservationTtl how long a reservation lasts unless refreshed
 * @param maxCircuits relayed connections at once
 * @param maxCircuitsPerPeer relayed connections one peer may have open, as either end
 * @param circuitDuration how long one relayed connection may last
 * @param circuitBytes bytes one relayed connection may carry in each direction
 */
public record RelayServiceLimits(
    int maxReservations,
    int maxReservationsPerIp,
    Duration reservationTtl,
    int maxCircuits,
    int maxCircuitsPerPeer,
    Duration circuitDuration,
    long circuitBytes) {

  /** go-libp2p's and js-libp2p's defaults: 128 reservations of 1 h; 2 min and 128 KiB per circuit. */
  public static final RelayServiceLimits DEFAULTS =
      new RelayServiceLimits(128, 8, Duration.ofHours(1), 64, 4, Duration.ofMinutes(2), 128 * 1024);

  public RelayServiceLimits {
    Objects.requireNonNull(reservationTtl, "reservationTtl");
    Objects.requireNonNull(circuitDuration, "circuitDuration");
    range("maxReservations", maxReservations, 1, 100_000);
    range("maxReservationsPerIp", maxReservationsPerIp, 1, 100_000);
    range("maxCircuits", maxCircuits, 1, 100_000);
    range("maxCircuitsPerPeer", maxCircuitsPerPeer, 1, 1024);
    range("circuitBytes", circuitBytes, 1024, 1L << 40);
    if (reservationTtl.toSeconds() < 60 || circuitDuration.toSeconds() < 1) {
      throw new IllegalArgumentException(
          "reservationTtl must be at least 1 min and circuitDuration at least 1 s: "
              + reservationTtl
              + ", "
              + circuitDuration);
    }
  }

  private static void range(String name, long v, long min, long max) {
    if (v < min || v > max) {
      throw new IllegalArgumentException(name + " is " + v + "; give " + min + " to " + max);
    }
  }
}
