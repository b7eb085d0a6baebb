package dev.plasm.transport.libp2p.internal.kad;

import java.time.Duration;

/**
 * How long a lookup waits for one peer's answer before it goes on without it: four times the
 * moving average of recent answer times, kept between a floor and the request timeout. A peer that
 * froze or vanished then costs a lookup about the floor, not the whole request timeout, while its
 * request still runs to its end in the background.
 *
 * <p>Only the request and its answer are timed, not dialing: a node's first connections, made
 * while it starts among others that start too, can take seconds and would hold the patience up
 * long after. No deviation term either: one late answer must not widen it for many more.
 */
final class AdaptiveTimeout {
  private static final double GAIN = 0.125;
  private static final int MULTIPLE = 4;

  private final long floorNanos;
  private final long ceilingNanos;
  private double mean = -1;

  AdaptiveTimeout(Duration floor, Duration ceiling) {
    this.ceilingNanos = ceiling.toNanos();
    this.floorNanos = Math.min(floor.toNanos(), ceilingNanos);
  }

  /** Records one answer that took {@code nanos}. */
  synchronized void record(long nanos) {
    mean = mean < 0 ? nanos : mean + GAIN * (nanos - mean);
  }

  /** The current wait; half the ceiling until an answer was recorded. */
  synchronized Duration current() {
    if (mean < 0) {
      return Duration.ofNanos(Math.max(floorNanos, ceilingNanos / 2));
    }
    return Duration.ofNanos(Math.clamp((long) (MULTIPLE * mean), floorNanos, ceilingNanos));
  }
}
