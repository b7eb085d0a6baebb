package dev.plasm.api;

import java.time.Duration;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses and prints durations such as {@code 30s}, {@code 500ms}, {@code 2m}, {@code 1h} or {@code 7d}. */
public final class Durations {
  private static final Pattern DURATION =
      Pattern.compile("(\\d{1,12})\\s*(ms|s|m|h|d)?", Pattern.CASE_INSENSITIVE);

  private Durations() {}

  /**
   * Parses a duration; a bare number means seconds.
   *
   * @throws ConfigurationException naming {@code field} when the text is not a duration
   */
  public static Duration parse(String field, String text) {
    Matcher m = DURATION.matcher(text.strip());
    if (!m.matches()) {
      throw new ConfigurationException(
          field, field + ": '" + text + "' is not a duration; write e.g. 500ms, 30s, 5m, 1h or 7d");
    }
    long n = Long.parseLong(m.group(1));
    String unit = m.group(2) == null ? "s" : m.group(2).toLowerCase(Locale.ROOT);
    return switch (unit) {
      case "ms" -> Duration.ofMillis(n);
      case "m" -> Duration.ofMinutes(n);
      case "h" -> Duration.ofHours(n);
      case "d" -> Duration.ofDays(n);
      default -> Duration.ofSeconds(n);
    };
  }

  /** Formats a duration in the largest unit that represents it exactly. */
  public static String format(Duration d) {
    long ms = d.toMillis();
    if (ms % 3_600_000 == 0 && ms > 0) {
      return ms / 3_600_000 + "h";
    }
    if (ms % 60_000 == 0 && ms > 0) {
      return ms / 60_000 + "m";
    }
    if (ms % 1000 == 0) {
      return ms / 1000 + "s";
    }
    return ms + "ms";
  }
}
