package dev.plasm.api;

import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses and prints byte counts such as {@code 64MiB}, {@code 512KiB}, {@code 1G} or {@code 4096}. */
public final class ByteSize {
  private static final Pattern SIZE =
      Pattern.compile("(\\d{1,19})\\s*([kmgt]?)(i?b?)", Pattern.CASE_INSENSITIVE);

  private ByteSize() {}

  /**
   * Parses a size; units are binary (K, KiB, KB all mean 1024 bytes) because WebAssembly pages
   * are binary.
   *
   * @param field the setting's name, used in the error message
   * @throws ConfigurationException naming {@code field} when the text is not a size
   */
  public static long parse(String field, String text) {
    Matcher m = SIZE.matcher(text.strip());
    if (!m.matches()) {
      throw new ConfigurationException(
          field,
          field
              + ": '"
              + text
              + "' is not a size; write a number with an optional unit, e.g. 64MiB, 512KiB, 1GiB or 65536");
    }
    long n;
    try {
      n = Long.parseLong(m.group(1));
    } catch (NumberFormatException e) {
      throw new ConfigurationException(field, field + ": '" + text + "' is too large");
    }
    int shift =
        switch (m.group(2).toLowerCase(Locale.ROOT)) {
          case "k" -> 10;
          case "m" -> 20;
          case "g" -> 30;
          case "t" -> 40;
          default -> 0;
        };
    if (shift > 0 && n > (Long.MAX_VALUE >> shift)) {
      throw new ConfigurationException(field, field + ": '" + text + "' is too large");
    }
    return n << shift;
  }

  /** Formats a byte count with the largest binary unit that divides it exactly. */
  public static String format(long bytes) {
    String[] units = {"B", "KiB", "MiB", "GiB", "TiB"};
    int u = 0;
    long v = bytes;
    while (u < units.length - 1 && v >= 1024 && v % 1024 == 0) {
      v /= 1024;
      u++;
    }
    return v + units[u];
  }
}
