package dev.plasm.cli.term;

import java.io.OutputStream;
import java.time.Duration;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A status line at the bottom of the terminal while something runs, with the command's output
 * scrolling above it. Only on a terminal: on a pipe, under {@code --json} or {@code --quiet} it is
 * {@link #NONE}, which does nothing.
 */
public interface Progress extends AutoCloseable {
  /** No status line. */
  Progress NONE =
      new Progress() {
        @Override
        public OutputStream guard(OutputStream out) {
          return out;
        }

        @Override
        public void close() {}
      };

  /**
   * A stream that writes to {@code out} without tearing the status line: status updates and writes
   * through it never interleave.
   */
  OutputStream guard(OutputStream out);

  /** Removes the status line, leaving the terminal as it was. May be called more than once. */
  @Override
  void close();

  /**
   * Starts a status line showing {@code line} (text with ANSI colours), refreshed a few times a
   * second, once {@code delay} has passed: a job that ends sooner shows nothing and costs nothing
   * (jline is loaded only then). {@link #NONE} when neither stdout nor stderr is a terminal, or when
   * {@code enabled} is false.
   */
  static Progress start(
      boolean enabled, Tty tty, Map<String, String> env, Duration delay, Supplier<String> line) {
    if (!enabled || !tty.any() || "dumb".equals(env.get("TERM"))) {
      return NONE;
    }
    return new LiveProgress(tty.out(), delay, line);
  }

  /** A text progress bar, e.g. {@code [#########.......]  61%}. */
  static String bar(long done, long total, int cells) {
    if (total <= 0) {
      return "";
    }
    int filled = (int) Math.min(cells, done * cells / total);
    return "["
        + "#".repeat(filled)
        + ".".repeat(cells - filled)
        + "] "
        + String.format("%3d%%", done * 100 / total);
  }
}
