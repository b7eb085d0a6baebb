package dev.plasm.engine.spi;

import java.util.Arrays;

/**
 * The recorded world of a deterministic run: WASI clocks and {@code random_get} give the same
 * values on every engine, so a receipt's run can be repeated and compared.
 *
 * <p>Both clocks (realtime and monotonic, and the CPU-time clocks) share one counter: read n
 * (from 0) returns {@code clockEpochMicros * 1000 + 1000 * n} nanoseconds. {@code random_get} returns successive
 * bytes of SHA-256(seed || u64be(0)) || SHA-256(seed || u64be(1)) || ..., see {@link
 * dev.plasm.engine.spi.support.DeterministicRandom}. It is reproducible, not secret.
 *
 * @param clockEpochMicros microseconds since the Unix epoch at the first clock read (microseconds keep
 *     the value within the 2^53 that JSON numbers hold exactly)
 * @param randomSeed 32 bytes
 */
public record Determinism(long clockEpochMicros, byte[] randomSeed) {
  public Determinism {
    if (clockEpochMicros < 0) {
      throw new IllegalArgumentException("clockEpochMicros must not be negative");
    }
    if (clockEpochMicros > (1L << 53)) {
      throw new IllegalArgumentException("clockEpochMicros must be below 2^53");
    }
    if (randomSeed == null || randomSeed.length != 32) {
      throw new IllegalArgumentException("randomSeed must have 32 bytes");
    }
    randomSeed = randomSeed.clone();
  }

  @Override
  public byte[] randomSeed() {
    return randomSeed.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Determinism d
        && d.clockEpochMicros == clockEpochMicros
        && Arrays.equals(d.randomSeed, randomSeed);
  }

  @Override
  public int hashCode() {
    return Long.hashCode(clockEpochMicros) * 31 + Arrays.hashCode(randomSeed);
  }

  @Override
  public String toString() {
    return "Determinism[clockEpochMicros=" + clockEpochMicros + "]";
  }
}
