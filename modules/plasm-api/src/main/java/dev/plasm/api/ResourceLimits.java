package dev.plasm.api;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * The hard limits one job runs under: a value for every {@link Limit} (only {@link Limit#FUEL} may
 * be absent, meaning unmetered). Every value is checked here, so an instance is always safe to hand
 * to an engine.
 *
 * @param values each limit's value in its base unit (bytes, milliseconds, counts)
 */
public record ResourceLimits(Map<Limit, Long> values) {

  /** The WebAssembly page size. */
  public static final long PAGE_SIZE = 65_536;

  /** The most a wasm32 linear memory can hold (65536 pages). */
  public static final long MAX_WASM32_MEMORY = 65_536L * PAGE_SIZE;

  /** Defaults for {@code plasm run} (each limit's {@link Limit#defaultValue()}): generous for real programs, small enough to be safe. */
  public static final ResourceLimits DEFAULTS = defaults();

  private static ResourceLimits defaults() {
    Map<Limit, Long> m = new EnumMap<>(Limit.class);
    for (Limit l : Limit.values()) {
      if (!l.optional()) {
        m.put(l, l.defaultValue());
      }
    }
    return new ResourceLimits(m);
  }

  public ResourceLimits {
    Objects.requireNonNull(values, "values");
    EnumMap<Limit, Long> copy = new EnumMap<>(Limit.class);
    for (Limit l : Limit.values()) {
      Long v = values.get(l);
      if (v == null) {
        if (!l.optional()) {
          throw new LimitValueException(l, "is required");
        }
        continue;
      }
      copy.put(l, l.check(v));
    }
    values = Collections.unmodifiableMap(copy);
  }

  /** The value of {@code limit}; empty only for an optional limit that is not set. */
  public OptionalLong get(Limit limit) {
    Long v = values.get(limit);
    return v == null ? OptionalLong.empty() : OptionalLong.of(v);
  }

  /** The same limits with {@code limit} set to {@code value} (checked). */
  public ResourceLimits with(Limit limit, long value) {
    Map<Limit, Long> m = new EnumMap<>(values);
    m.put(limit, value);
    return new ResourceLimits(m);
  }

  /** The same limits without an optional {@code limit}. */
  public ResourceLimits without(Limit limit) {
    Map<Limit, Long> m = new EnumMap<>(values);
    m.remove(limit);
    return new ResourceLimits(m);
  }

  /** The limits by JSON name, in {@link Limit} order: the {@code limits} object of manifests, job records and receipts. */
  public Map<String, Long> byJsonName() {
    Map<String, Long> m = new LinkedHashMap<>();
    values.forEach((l, v) -> m.put(l.jsonName(), v));
    return m;
  }

  /** Cap on linear memory; a multiple of the 64 KiB page, at most 4 GiB. */
  public long maxMemoryBytes() {
    return values.get(Limit.MEMORY);
  }

  /** The memory cap in 64 KiB pages. */
  public int maxMemoryPages() {
    return (int) (maxMemoryBytes() / PAGE_SIZE);
  }

  /** Cap on the elements of each table. */
  public long maxTableElements() {
    return values.get(Limit.TABLE);
  }

  /** Wall-clock limit for the run, compilation included. */
  public Duration timeout() {
    return Duration.ofMillis(values.get(Limit.WALL_TIME));
  }

  /** Instruction budget; empty means unmetered. */
  public OptionalLong fuel() {
    return get(Limit.FUEL);
  }

  /** Cap on bytes written to stdout, and separately to stderr. */
  public long maxOutputBytes() {
    return values.get(Limit.OUTPUT);
  }

  /** Cap on the module binary's size, checked before parsing. */
  public long maxModuleBytes() {
    return values.get(Limit.MODULE_SIZE);
  }

  public ResourceLimits withMaxMemoryBytes(long v) {
    return with(Limit.MEMORY, v);
  }

  public ResourceLimits withMaxTableElements(long v) {
    return with(Limit.TABLE, v);
  }

  public ResourceLimits withTimeout(Duration v) {
    return with(Limit.WALL_TIME, v.toMillis());
  }

  public ResourceLimits withFuel(OptionalLong v) {
    return v.isPresent() ? with(Limit.FUEL, v.getAsLong()) : without(Limit.FUEL);
  }

  public ResourceLimits withMaxOutputBytes(long v) {
    return with(Limit.OUTPUT, v);
  }

  public ResourceLimits withMaxModuleBytes(long v) {
    return with(Limit.MODULE_SIZE, v);
  }
}
