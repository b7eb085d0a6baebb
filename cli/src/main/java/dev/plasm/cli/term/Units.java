package dev.plasm.cli.term;

import java.time.Duration;
import java.util.Locale;

/** Sizes and times rounded for people to read at a glance (status lines, summaries). */
public final class Units {
  private Units() {}

  /** {@code 512 B}, {@code 1.5 KiB}, {@code 12 MiB}. */
  public static String bytes(long n) {
    if (n < 1024) {
      return n + " B";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB"};
    double v = n;
    int u = -1;
    while (v >= 1024 && u < units.length - 1) {
      v /= 1024;
      u++;
    }
    return (v < 10 ? String.format(Locale.ROOT, "%.1f", v) : String.format(Locale.ROOT, "%.0f", v))
        + " "
        + units[u];
  }

  /** {@code 0.21 s}, {@code 3.4 s}, {@code 42 s}, {@code 2 m 05 s}, {@code 1 h 02 m}. */
  public static String time(Duration d) {
    double s = d.toNanos() / 1e9;
    if (s < 1) {
      return String.format(Locale.ROOT, "%.2f s", s);
    }
    if (s < 10) {
      return String.format(Locale.ROOT, "%.1f s", s);
    }
    long secs = d.toSeconds();
    if (secs < 60) {
      return secs + " s";
    }
    if (secs < 3600) {
      return String.format(Locale.ROOT, "%d m %02d s", secs / 60, secs % 60);
    }
    return String.format(Locale.ROOT, "%d h %02d m", secs / 3600, secs % 3600 / 60);
  }
}
