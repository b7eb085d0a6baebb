package dev.plasm.transport.libp2p.internal.yamux;

import java.time.Duration;

/**
 * Yamux limits and timers.
 *
 * @param maxInboundStreams streams the peer may have open at once; more are refused with RST
 * @param maxAckBacklog outbound streams that may await the peer's ACK before opening blocks
 * @param maxDataFrame the largest data frame we send
 * @param maxQueuedBytes data bytes that may wait for the writer before writers block
 * @param maxQueuedControlFrames control frames (ACKs, window updates, pongs) that may wait before
 *     the peer is dropped for not reading
 * @param keepAliveInterval how often an idle session pings; zero disables it
 * @param pingTimeout how long a ping may go unanswered before the session is dropped
 */
public record YamuxConfig(
    int maxInboundStreams,
    int maxAckBacklog,
    int maxDataFrame,
    int maxQueuedBytes,
    int maxQueuedControlFrames,
    Duration keepAliveInterval,
    Duration pingTimeout) {
  /** The initial per-stream window every Yamux implementation starts with (spec: 256 KiB). */
  public static final int INITIAL_WINDOW = 256 * 1024;

  /**
   * The largest receive window a stream grows to when its reader keeps up (js-libp2p allows
   * 16 MiB); a larger window lets one stream fill a fast link without waiting for updates.
   */
  public static final int MAX_WINDOW = 4 * 1024 * 1024;

  /**
   * Window growth (beyond the initial 256 KiB) all streams of one session may hold at once, so
   * that buffered inbound data stays bounded per connection: at most maxInboundStreams × 256 KiB
   * plus this.
   */
  public static final long SESSION_WINDOW_BUDGET = 16L * 1024 * 1024;

  public static final YamuxConfig DEFAULTS =
      new YamuxConfig(
          256,
          256,
          64 * 1024,
          4 * 1024 * 1024,
          4096,
          Duration.ofSeconds(10),
          Duration.ofSeconds(5));

  public YamuxConfig {
    if (maxInboundStreams < 1
        || maxAckBacklog < 1
        || maxDataFrame < 1
        || maxQueuedBytes < maxDataFrame
        || maxQueuedControlFrames < 16) {
      throw new IllegalArgumentException("invalid Yamux limits");
    }
    if (keepAliveInterval.isNegative() || pingTimeout.isNegative() || pingTimeout.isZero()) {
      throw new IllegalArgumentException("invalid Yamux timers");
    }
  }

  public YamuxConfig withKeepAlive(Duration interval, Duration timeout) {
    return new YamuxConfig(
        maxInboundStreams,
        maxAckBacklog,
        maxDataFrame,
        maxQueuedBytes,
        maxQueuedControlFrames,
        interval,
        timeout);
  }

  public YamuxConfig withMaxInboundStreams(int n) {
    return new YamuxConfig(
        n,
        maxAckBacklog,
        maxDataFrame,
        maxQueuedBytes,
        maxQueuedControlFrames,
        keepAliveInterval,
        pingTimeout);
  }
}
