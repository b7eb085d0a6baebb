package dev.plasm.transport.libp2p;

import java.time.Duration;
import java.util.Objects;

/**
 * What a node serving as a circuit relay (relay/circuit-v2.md) grants to other peers.
 *
 * @param maxReservations reservations held at once (a peer has at most one; a refresh keeps it)
 * @param maxReservationsPerIp reservations from one IP address
 * @param reservationTtl how long a reservation lasts unless refreshed
 * @param maxCircuits relayed connections at once
 * @param maxCircuitsPerPeer relayed connections one peer may have open, as initiator or target
 * @param circuitDuration how long one relayed connection may last (then both ends are reset)
 * @param circuitBytes bytes one relayed connection may carry in each direction (then both ends are
 *     reset)
 * @param maxRefusalsPerMinute refused hop requests (over a limit, no reservation, malformed) after
 *     which a peer counts as abusing the relay and is dropped
 */
public record RelayLimits(
    int maxReservations,
    int maxReservationsPerIp,
    Duration reservationTtl,
    int maxCircuits,
    int maxCircuitsPerPeer,
    Duration circuitDuration,
    long circuitBytes,
    int maxRefusalsPerMinute) {

  /**
   * The defaults: go-libp2p's and js-libp2p's (128 reservations, 1 h, 2 min and 128 KiB per
   * circuit), enough for hole punching and small exchanges, not for bulk traffic.
   */
  public static final RelayLimits DEFAULTS =
      new RelayLimits(128, 8, Duration.ofHours(1), 64, 4, Duration.ofMinutes(2), 128 * 1024, 16);

  public RelayLimits {
    Objects.requireNonNull(reservationTtl, "reservationTtl");
    Objects.requireNonNull(circuitDuration, "circuitDuration");
    positive("maxReservations", maxReservations);
    positive("maxReservationsPerIp", maxReservationsPerIp);
    positive("maxCircuits", maxCircuits);
    positive("maxCircuitsPerPeer", maxCircuitsPerPeer);
    positive("circuitBytes", circuitBytes);
    positive("maxRefusalsPerMinute", maxRefusalsPerMinute);
    if (reservationTtl.toSeconds() < 1 || circuitDuration.toSeconds() < 1) {
      throw new IllegalArgumentException(
          "reservationTtl and circuitDuration must be at least 1 s: "
              + reservationTtl
              + ", "
              + circuitDuration);
    }
  }

  private static void positive(String name, long v) {
    if (v < 1) {
      throw new IllegalArgumentException(name + " must be at least 1, not " + v);
    }
  }
}
