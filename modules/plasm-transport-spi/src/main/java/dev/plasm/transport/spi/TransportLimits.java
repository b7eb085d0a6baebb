package dev.plasm.transport.spi;

import java.time.Duration;
import java.util.Objects;

/**
 * The bounds a transport node keeps to; every one is checked here so a provider can trust them.
 *
 * @param maxInboundStreams streams one peer may have open to us at once on one connection
 * @param maxPendingHandshakes inbound connections in their handshake at once; more are closed
 * @param maxValueBytes the largest DHT value stored or served
 * @param maxRecords DHT records held for other peers; further new keys are refused
 * @param dialTimeout bounds connecting to a peer (TCP connect, and again the secure upgrade)
 * @param queryTimeout bounds one DHT lookup (get, put, provide, find-providers, find-peer)
 */
public record TransportLimits(
    int maxInboundStreams,
    int maxPendingHandshakes,
    int maxValueBytes,
    int maxRecords,
    Duration dialTimeout,
    Duration queryTimeout) {

  /** The defaults documented in docs/config.md ({@code [p2p]}). */
  public static final TransportLimits DEFAULTS =
      new TransportLimits(
          256, 64, 16 * 1024, 10_000, Duration.ofSeconds(10), Duration.ofSeconds(30));

  /** The largest value any node accepts ({@code maxValueBytes} is capped here). */
  public static final int MAX_VALUE_BYTES = 64 * 1024;

  public TransportLimits {
    Objects.requireNonNull(dialTimeout, "dialTimeout");
    Objects.requireNonNull(queryTimeout, "queryTimeout");
    range("maxInboundStreams", maxInboundStreams, 1, 65_536);
    range("maxPendingHandshakes", maxPendingHandshakes, 1, 4096);
    range("maxValueBytes", maxValueBytes, 1, MAX_VALUE_BYTES);
    range("maxRecords", maxRecords, 1, 10_000_000);
    if (dialTimeout.isNegative()
        || dialTimeout.isZero()
        || queryTimeout.isNegative()
        || queryTimeout.isZero()) {
      throw new IllegalArgumentException(
          "timeouts must be positive: dialTimeout "
              + dialTimeout
              + ", queryTimeout "
              + queryTimeout);
    }
  }

  private static void range(String name, long v, long min, long max) {
    if (v < min || v > max) {
      throw new IllegalArgumentException(name + " is " + v + "; give " + min + " to " + max);
    }
  }
}
