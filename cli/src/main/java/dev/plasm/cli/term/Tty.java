package dev.plasm.cli.term;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Which of the standard streams are terminals. Found without jline (one {@code readlink} per stream
 * on Linux), so that asking costs {@code plasm run} nothing measurable.
 *
 * @param in stdin is a terminal
 * @param out stdout is a terminal
 * @param err stderr is a terminal
 */
public record Tty(boolean in, boolean out, boolean err) {
  /** No terminal at all: pipes, files, tests. */
  public static final Tty NONE = new Tty(false, false, false);

  /** The process's own file descriptors 0, 1 and 2. */
  public static Tty detect() {
    Path fds = Path.of("/proc/self/fd");
    if (!Files.isDirectory(fds)) {
      // Not Linux: the JDK's Console says whether stdin and stdout are both terminals.
      boolean console = System.console() != null;
      return new Tty(console, console, console);
    }
    return new Tty(isTerminal(fds, 0), isTerminal(fds, 1), isTerminal(fds, 2));
  }

  /** Whether stdout or stderr is a terminal: somewhere to draw a status line. */
  public boolean any() {
    return out || err;
  }

  private static boolean isTerminal(Path fds, int fd) {
    try {
      String target = Files.readSymbolicLink(fds.resolve(Integer.toString(fd))).toString();
      return target.startsWith("/dev/pts/")
          || target.startsWith("/dev/tty")
          || target.equals("/dev/console");
    } catch (IOException | UnsupportedOperationException e) {
      return false; // closed, or not a link: not a terminal
    }
  }
}
