package dev.plasm.cli.term;

import java.io.IOException;
import java.io.OutputStream;
import java.time.Duration;
import java.util.function.Supplier;

/** The status line of {@link Progress}: a thread that draws {@code line} through jline's Status. */
final class LiveProgress implements Progress {
  /** How often the line is redrawn (elapsed time, bytes so far). */
  private static final long TICK_MILLIS = 200;

  private final Object lock = new Object();
  private final boolean onStdout;
  private final Supplier<String> line;
  private final Thread ticker;
  private volatile boolean closed;

  /** Set by the ticker once the status line is up; drawn and removed under {@link #lock}. */
  private StatusLine shown;

  LiveProgress(boolean onStdout, Duration delay, Supplier<String> line) {
    this.onStdout = onStdout;
    this.line = line;
    this.ticker = Thread.ofPlatform().daemon(true).name("plasm-status").start(() -> tick(delay));
  }

  private void tick(Duration delay) {
    try {
      Thread.sleep(delay);
      if (closed) {
        return;
      }
      StatusLine s = StatusLine.open(onStdout);
      if (s == null) {
        return;
      }
      synchronized (lock) {
        if (closed) {
          s.close();
          return;
        }
        shown = s;
      }
      while (!closed) {
        synchronized (lock) {
          if (!closed) {
            shown.show(line.get());
          }
        }
        Thread.sleep(TICK_MILLIS);
      }
    } catch (InterruptedException e) {
      // close() wakes the ticker; it removes the line itself.
    } catch (RuntimeException e) {
      // The terminal went away (plasm is exiting): stop drawing.
    }
  }

  @Override
  public OutputStream guard(OutputStream out) {
    return new OutputStream() {
      @Override
      public void write(int b) throws IOException {
        synchronized (lock) {
          out.write(b);
        }
      }

      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        synchronized (lock) {
          out.write(b, off, len);
        }
      }

      @Override
      public void flush() throws IOException {
        synchronized (lock) {
          out.flush();
        }
      }

      @Override
      public void close() throws IOException {
        flush();
      }
    };
  }

  @Override
  public void close() {
    closed = true;
    ticker.interrupt();
    try {
      // The ticker may be opening the terminal; wait so that the line is gone before anything
      // prints a summary under it.
      ticker.join(Duration.ofSeconds(3));
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    synchronized (lock) {
      if (shown != null) {
        shown.close();
        shown = null;
      }
    }
  }
}
