package dev.plasm.cli.term;

import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import org.jline.terminal.Size;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;
import org.jline.utils.AttributedString;
import org.jline.utils.Status;

/**
 * One line at the bottom of the terminal (jline's {@link Status}: a scroll region above it, so
 * output written anywhere scrolls above the line). The only class of {@link Progress} that touches
 * jline, so that nothing loads jline unless a status line is really drawn.
 */
final class StatusLine {
  private final Terminal terminal;
  private final boolean own;
  private final Status status;
  private final FileDescriptor fd;
  private final Thread restore;
  private int rows;
  private boolean removed;

  private StatusLine(Terminal terminal, boolean own, Status status, FileDescriptor fd) {
    this.terminal = terminal;
    this.own = own;
    this.status = status;
    this.fd = fd;
    // Ctrl-C ends plasm through shutdown hooks: give the terminal its whole screen back first.
    this.restore = new Thread(this::reset, "plasm-status-restore");
    Runtime.getRuntime().addShutdownHook(restore);
  }

  /** The status line on the shell's terminal, or on a new one; null when the terminal cannot have one. */
  static StatusLine open(boolean onStdout) {
    Terminal shared = Terminals.shared();
    if (shared != null) {
      Status s = Status.getStatus(shared);
      return s == null ? null : new StatusLine(shared, false, s, FileDescriptor.out);
    }
    Terminal t = null;
    try {
      // Only the FFM provider: jline's exec provider would load (and unpack) a native library.
      // Signals stay the JVM's, so that Ctrl-C still ends plasm the usual way. The FFM terminal
      // reads its settings from stdin: with stdin redirected there is no status line.
      t =
          TerminalBuilder.builder()
              .system(true)
              .provider("ffm")
              .dumb(false)
              .nativeSignals(false)
              .systemOutput(
                  onStdout
                      ? TerminalBuilder.SystemOutput.SysOut
                      : TerminalBuilder.SystemOutput.SysErr)
              .build();
      Status s = Status.getStatus(t);
      if (s == null || t.getSize().getRows() < 3) {
        t.close();
        return null;
      }
      return new StatusLine(t, true, s, onStdout ? FileDescriptor.out : FileDescriptor.err);
    } catch (Exception | LinkageError e) {
      // No usable terminal (stdin is not one, no native access): no status line, nothing else
      // changes.
      if (t != null) {
        try {
          t.close();
        } catch (Exception ignored) {
          // Already unusable.
        }
      }
      return null;
    }
  }

  /** Replaces the line (text with ANSI colours), following the terminal's current size. */
  synchronized void show(String ansi) {
    if (removed) {
      return;
    }
    Size size = terminal.getSize();
    rows = size.getRows();
    status.resize(size);
    status.update(List.of(AttributedString.fromAnsi(ansi)));
  }

  /** Removes the line and restores the whole screen as the scroll region. */
  void close() {
    synchronized (this) {
      if (!removed) {
        removed = true;
        try {
          status.update(List.of());
          status.close();
          terminal.flush();
        } catch (RuntimeException e) {
          raw();
        }
      }
    }
    try {
      Runtime.getRuntime().removeShutdownHook(restore);
    } catch (IllegalStateException e) {
      // Shutting down: the hook runs anyway.
    }
    if (own) {
      try {
        terminal.close();
      } catch (Exception e) {
        // The streams are the process's own; nothing to release.
      }
    }
  }

  /** At exit: jline's own hook may have closed the terminal already, so this writes the reset itself. */
  private synchronized void reset() {
    if (!removed && rows > 0) {
      removed = true;
      raw();
    }
  }

  /** Whole screen as scroll region again, the status row cleared, the cursor where it was (VT100). */
  private void raw() {
    String reset = "\0337\033[r\033[" + rows + ";1H\033[2K\0338";
    try {
      FileOutputStream out = new FileOutputStream(fd);
      out.write(reset.getBytes(StandardCharsets.US_ASCII));
      out.flush();
    } catch (IOException e) {
      // The terminal is gone: nothing left to restore.
    }
  }
}
