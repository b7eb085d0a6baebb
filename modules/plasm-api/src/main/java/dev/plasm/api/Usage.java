package dev.plasm.api;

import java.time.Duration;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * What a run consumed.
 *
 * @param wallTime time from instantiation to the end of the run
 * @param peakMemoryPages the largest linear memory size seen, in 64 KiB pages (0 if no memory)
 * @param fuelConsumed instructions metered, empty when the run was not metered
 * @param stdoutBytes bytes the guest wrote to stdout (including any refused past the cap)
 * @param stderrBytes bytes the guest wrote to stderr (including any refused past the cap)
 */
public record Usage(
    Duration wallTime,
    int peakMemoryPages,
    OptionalLong fuelConsumed,
    long stdoutBytes,
    long stderrBytes) {

  /** Usage of a job that never started. */
  public static final Usage NONE = new Usage(Duration.ZERO, 0, OptionalLong.empty(), 0, 0);

  public Usage {
    Objects.requireNonNull(wallTime, "wallTime");
    Objects.requireNonNull(fuelConsumed, "fuelConsumed");
    if (wallTime.isNegative()) {
      throw new IllegalArgumentException("wallTime must not be negative: " + wallTime);
    }
    if (peakMemoryPages < 0 || stdoutBytes < 0 || stderrBytes < 0) {
      throw new IllegalArgumentException("usage counters must not be negative");
    }
  }

  public Usage withWallTime(Duration d) {
    return new Usage(d, peakMemoryPages, fuelConsumed, stdoutBytes, stderrBytes);
  }

  public Usage withOutput(long stdout, long stderr) {
    return new Usage(wallTime, peakMemoryPages, fuelConsumed, stdout, stderr);
  }
}
