package dev.plasm.api;

import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * The hard limits one job runs under. Every field is validated here, so an instance is always
 * safe to hand to an engine.
 *
 * @param maxMemoryBytes cap on linear memory; a multiple of the 64 KiB page, at most 4 GiB
 * @param maxTableElements cap on the elements of each table
 * @param timeout wall-clock limit for the run
 * @param fuel instruction budget; empty means unmetered
 * @param maxOutputBytes cap on bytes written to stdout, and separately to stderr
 * @param maxModuleBytes cap on the module binary's size, checked before parsing
 */
public record ResourceLimits(
    long maxMemoryBytes,
    long maxTableElements,
    Duration timeout,
    OptionalLong fuel,
    long maxOutputBytes,
    long maxModuleBytes) {

  /** The WebAssembly page size. */
  public static final long PAGE_SIZE = 65_536;

  /** The most a wasm32 linear memory can hold (65536 pages). */
  public static final long MAX_WASM32_MEMORY = 65_536L * PAGE_SIZE;

  /** The longest timeout accepted; longer jobs belong to the daemon, which checkpoints. */
  public static final Duration MAX_TIMEOUT = Duration.ofDays(1);

  /** The largest table a job may ask for. */
  public static final long MAX_TABLE_ELEMENTS = 10_000_000;

  /** The largest module accepted. */
  public static final long MAX_MODULE_BYTES = 1L << 30;

  /** The largest per-stream output cap accepted. */
  public static final long MAX_OUTPUT_BYTES = 1L << 40;

  /** Defaults for {@code plasm run}: generous for real programs, small enough to be safe. */
  public static final ResourceLimits DEFAULTS =
      new ResourceLimits(
          256L << 20, 1_000_000, Duration.ofSeconds(60), OptionalLong.empty(), 16L << 20, 64L << 20);

  public ResourceLimits {
    Objects.requireNonNull(timeout, "timeout");
    Objects.requireNonNull(fuel, "fuel");
    if (maxMemoryBytes < PAGE_SIZE || maxMemoryBytes > MAX_WASM32_MEMORY) {
      throw new ConfigurationException(
          Limit.MEMORY.flag(),
          Limit.MEMORY.flag() + ": " + ByteSize.format(maxMemoryBytes)
              + " is out of range; give at least 64KiB (one page) and at most 4GiB (the wasm32 maximum)");
    }
    if (maxMemoryBytes % PAGE_SIZE != 0) {
      throw new ConfigurationException(
          Limit.MEMORY.flag(),
          Limit.MEMORY.flag() + ": " + maxMemoryBytes
              + " bytes is not a whole number of 64KiB pages; round it, e.g. to "
              + ByteSize.format((maxMemoryBytes / PAGE_SIZE) * PAGE_SIZE));
    }
    if (maxTableElements < 1 || maxTableElements > MAX_TABLE_ELEMENTS) {
      throw new ConfigurationException(
          Limit.TABLE.flag(),
          Limit.TABLE.flag() + ": " + maxTableElements + " is out of range; give 1 to " + MAX_TABLE_ELEMENTS);
    }
    if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(MAX_TIMEOUT) > 0) {
      throw new ConfigurationException(
          Limit.WALL_TIME.flag(),
          Limit.WALL_TIME.flag() + ": " + Durations.format(timeout)
              + " is out of range; give more than 0 and at most 24h");
    }
    if (fuel.isPresent() && fuel.getAsLong() <= 0) {
      throw new ConfigurationException(
          Limit.FUEL.flag(), Limit.FUEL.flag() + ": " + fuel.getAsLong() + " must be a positive instruction count");
    }
    if (maxOutputBytes < 0 || maxOutputBytes > MAX_OUTPUT_BYTES) {
      throw new ConfigurationException(
          Limit.OUTPUT.flag(),
          Limit.OUTPUT.flag() + ": " + ByteSize.format(maxOutputBytes) + " is out of range; give 0 to 1TiB");
    }
    if (maxModuleBytes < 8 || maxModuleBytes > MAX_MODULE_BYTES) {
      throw new ConfigurationException(
          Limit.MODULE_SIZE.flag(),
          Limit.MODULE_SIZE.flag() + ": " + ByteSize.format(maxModuleBytes)
              + " is out of range; give 8B to 1GiB");
    }
  }

  /** The memory cap in 64 KiB pages. */
  public int maxMemoryPages() {
    return (int) (maxMemoryBytes / PAGE_SIZE);
  }

  public ResourceLimits withMaxMemoryBytes(long v) {
    return new ResourceLimits(v, maxTableElements, timeout, fuel, maxOutputBytes, maxModuleBytes);
  }

  public ResourceLimits withMaxTableElements(long v) {
    return new ResourceLimits(maxMemoryBytes, v, timeout, fuel, maxOutputBytes, maxModuleBytes);
  }

  public ResourceLimits withTimeout(Duration v) {
    return new ResourceLimits(maxMemoryBytes, maxTableElements, v, fuel, maxOutputBytes, maxModuleBytes);
  }

  public ResourceLimits withFuel(OptionalLong v) {
    return new ResourceLimits(maxMemoryBytes, maxTableElements, timeout, v, maxOutputBytes, maxModuleBytes);
  }

  public ResourceLimits withMaxOutputBytes(long v) {
    return new ResourceLimits(maxMemoryBytes, maxTableElements, timeout, fuel, v, maxModuleBytes);
  }

  public ResourceLimits withMaxModuleBytes(long v) {
    return new ResourceLimits(maxMemoryBytes, maxTableElements, timeout, fuel, maxOutputBytes, v);
  }
}
