package dev.plasm.engine.spi.support;

import dev.plasm.engine.spi.Determinism;
import java.util.concurrent.atomic.AtomicLong;

/** The clock of a deterministic run: read n returns {@code epochMicros * 1000 + 1000 * n} nanoseconds. */
public final class DeterministicClock {
  private final long epochNanos;
  private final AtomicLong reads = new AtomicLong();

  public DeterministicClock(Determinism d) {
    this.epochNanos = d.clockEpochMicros() * 1000;
  }

  /** The next reading, for any clock id. */
  public long nextNanos() {
    return epochNanos + 1000 * reads.getAndIncrement();
  }
}
