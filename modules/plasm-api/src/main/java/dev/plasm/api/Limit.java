package dev.plasm.api;

import java.time.Duration;

/**
 * A resource limit a job runs under, and everything Plasm needs to know about it in one place: its
 * names at every edge (outcome id, JSON field, config key, command-line flag), its unit, the values
 * it accepts, its default, and the exit code of a job stopped by it.
 *
 * <p>Adding a limit is adding a constant here, enforcing it where it can be enforced, and
 * documenting it: manifests, the HTTP API, the daemon's config, {@code plasm run} and {@code plasm
 * submit} flags, job records and receipts all read this list.
 */
public enum Limit {
  /** Linear memory: initial size and {@code memory.grow} are capped. */
  MEMORY(
      "memory",
      "maxMemoryBytes",
      "memory",
      "--max-memory",
      Unit.BYTES,
      65_536,
      65_536L * 65_536,
      256L << 20,
      122,
      "Linear memory cap."),
  /** Table elements: initial size and {@code table.grow} are capped. */
  TABLE(
      "table",
      "maxTableElements",
      "table-elements",
      "--max-table-elements",
      Unit.COUNT,
      1,
      10_000_000,
      1_000_000,
      119,
      "Cap on each table's elements."),
  /** Wall-clock time from the start of compilation to the end of the run. */
  WALL_TIME(
      "wall-time",
      "timeoutMillis",
      "timeout",
      "--timeout",
      Unit.MILLIS,
      1,
      Duration.ofDays(1).toMillis(),
      60_000,
      124,
      "Wall-clock limit, compile included."),
  /** Instructions executed, on engines that can meter them; absent means unmetered. */
  FUEL(
      "fuel",
      "fuel",
      "fuel",
      "--fuel",
      Unit.COUNT,
      1,
      Long.MAX_VALUE,
      -1,
      123,
      "Instruction budget (engines that can meter only). Default: unmetered."),
  /** Bytes written to stdout or to stderr, each counted on its own. */
  OUTPUT(
      "output",
      "maxOutputBytes",
      "output",
      "--max-output",
      Unit.BYTES,
      0,
      1L << 40,
      16L << 20,
      121,
      "Cap on stdout and, separately, stderr."),
  /** Size of the module binary, checked before it is parsed. */
  MODULE_SIZE(
      "module-size",
      "maxModuleBytes",
      "module-size",
      "--max-module-size",
      Unit.BYTES,
      8,
      1L << 30,
      64L << 20,
      120,
      "Largest module accepted."),
  /** Bytes the guest may read from stdin; reading past them stops the job. */
  STDIN(
      "stdin",
      "maxStdinBytes",
      "stdin",
      "--max-stdin",
      Unit.BYTES,
      0,
      1L << 40,
      64L << 20,
      118,
      "Cap on the bytes the guest reads from stdin."),
  /**
   * CPUs the job may use. A WASI preview 1 program has one thread, so a job gets exactly one; a
   * request for more is refused rather than ignored.
   */
  CPUS(
      "cpus",
      "cpus",
      "cpus",
      "--cpus",
      Unit.COUNT,
      1,
      1,
      1,
      64,
      "CPUs for the job; WASI preview 1 programs have one thread, so 1 is the only value.");

  /** How a limit's values are written. */
  public enum Unit {
    /** Bytes; text takes binary units ({@code 64MiB}). */
    BYTES,
    /** Milliseconds; text takes {@code ms}, {@code s}, {@code m}, {@code h}. */
    MILLIS,
    /** A plain count; text may group digits with {@code _}. */
    COUNT
  }

  private final String id;
  private final String jsonName;
  private final String configKey;
  private final String flag;
  private final Unit unit;
  private final long min;
  private final long max;
  private final long defaultValue;
  private final int exitCode;
  private final String description;

  Limit(
      String id,
      String jsonName,
      String configKey,
      String flag,
      Unit unit,
      long min,
      long max,
      long defaultValue,
      int exitCode,
      String description) {
    this.id = id;
    this.jsonName = jsonName;
    this.configKey = configKey;
    this.flag = flag;
    this.unit = unit;
    this.min = min;
    this.max = max;
    this.defaultValue = defaultValue;
    this.exitCode = exitCode;
    this.description = description;
  }

  /** The stable lower-case name used in outcomes ({@code limit-exceeded} details) and documentation. */
  public String id() {
    return id;
  }

  /** The field in a manifest's and a receipt's {@code limits} object, in the base unit. */
  public String jsonName() {
    return jsonName;
  }

  /** The key under {@code [limits]} in the daemon's config. */
  public String configKey() {
    return configKey;
  }

  /** The option of {@code plasm run} and {@code plasm submit} that sets it. */
  public String flag() {
    return flag;
  }

  public Unit unit() {
    return unit;
  }

  /** The smallest value accepted. */
  public long min() {
    return min;
  }

  /** The largest value accepted anywhere (a node may allow less). */
  public long max() {
    return max;
  }

  /** True for a limit a job may leave unset (then nothing is metered): only {@link #FUEL}. */
  public boolean optional() {
    return defaultValue < 0;
  }

  /** The value {@code plasm run} uses when none is given; only for limits that are not optional. */
  public long defaultValue() {
    if (optional()) {
      throw new IllegalStateException(this + " has no default");
    }
    return defaultValue;
  }

  /** The exit code of {@code plasm run} and {@code plasm submit --wait} for a job stopped by this limit. */
  public int exitCode() {
    return exitCode;
  }

  /**
   * The one wording of a value over this limit, for outcomes and refusals alike:
   * {@code "hello.wasm is 70MiB, over the 64MiB module-size limit"}. Callers add where the limit is set.
   */
  public String over(String subject, long value, long limit) {
    return subject + " is " + format(value) + ", over the " + format(limit) + " " + id + " limit";
  }

  /** One sentence for help texts. */
  public String description() {
    return description;
  }

  /** The limit with this JSON name, or null. */
  public static Limit byJsonName(String name) {
    for (Limit l : values()) {
      if (l.jsonName.equals(name)) {
        return l;
      }
    }
    return null;
  }

  /** The limit with this outcome id, or null. */
  public static Limit byId(String id) {
    for (Limit l : values()) {
      if (l.id.equals(id)) {
        return l;
      }
    }
    return null;
  }

  /**
   * Checks a value against this limit's own rules (not a node's).
   *
   * @return {@code value}
   * @throws LimitValueException saying what is wrong, without naming the field (each edge names it)
   */
  public long check(long value) {
    if (this == CPUS && value != 1) {
      throw new LimitValueException(
          this,
          value
              + " CPUs cannot be given: WASI preview 1 programs have one thread, so a job gets exactly 1");
    }
    if (value < min || value > max) {
      throw new LimitValueException(
          this,
          switch (this) {
            case FUEL -> value + " must be a positive instruction count";
            case MEMORY ->
                format(value)
                    + " is out of range; give at least 64KiB (one page) and at most 4GiB (the wasm32 maximum)";
            case WALL_TIME -> format(value) + " is out of range; give more than 0 and at most 24h";
            default ->
                format(value) + " is out of range; give " + format(min) + " to " + format(max);
          });
    }
    if (this == MEMORY && value % 65_536 != 0) {
      throw new LimitValueException(
          this,
          value
              + " bytes is not a whole number of 64KiB pages; round it, e.g. to "
              + ByteSize.format(Math.max(65_536, value / 65_536 * 65_536)));
    }
    return value;
  }

  /** A value as a person writes it: {@code 64MiB}, {@code 30s}, {@code 1000000}. */
  public String format(long value) {
    return switch (unit) {
      case BYTES -> ByteSize.format(value);
      case MILLIS -> Durations.format(Duration.ofMillis(value));
      case COUNT -> Long.toString(value);
    };
  }

  /**
   * Parses a value as a person writes it (flags, config files): a size, a duration or a count.
   *
   * @throws LimitValueException when the text is not one, or the value is out of range
   */
  public long parse(String text) {
    long v;
    try {
      v =
          switch (unit) {
            case BYTES -> ByteSize.parse(jsonName, text);
            case MILLIS -> Durations.parse(jsonName, text).toMillis();
            case COUNT -> Long.parseLong(text.strip().replace("_", ""));
          };
    } catch (NumberFormatException e) {
      throw new LimitValueException(this, "'" + text + "' is not a whole number");
    } catch (ConfigurationException e) {
      String m = e.getMessage();
      throw new LimitValueException(
          this, m.startsWith(jsonName + ": ") ? m.substring(jsonName.length() + 2) : m);
    }
    return check(v);
  }
}
