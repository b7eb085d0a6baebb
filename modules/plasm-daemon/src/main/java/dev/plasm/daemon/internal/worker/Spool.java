package dev.plasm.daemon.internal.worker;

import dev.plasm.daemon.internal.store.AtomicFiles;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.channels.Channels;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Set;

/**
 * A job's stdout or stderr in the worker: held in memory while it is small and the job young, so it
 * goes back to the daemon in the reply and nothing touches the disk; written to its file (spilled)
 * once it passes {@link #MEMORY_LIMIT} or the job has run long enough that a client may be following
 * its output ({@link #tick}, a few times a second). A spilled output is forced to disk when the job
 * ends, before the reply says where it is.
 */
final class Spool extends OutputStream {
  /** The most output held in memory per stream. */
  static final int MEMORY_LIMIT = 256 << 10;

  private final Path file;
  private byte[] buf = new byte[256];
  private int count;
  private FileChannel channel;
  private OutputStream out;

  Spool(Path file) {
    this.file = file;
  }

  @Override
  public synchronized void write(int b) throws IOException {
    if (out == null && count + 1 > MEMORY_LIMIT) {
      spill();
    }
    if (out != null) {
      out.write(b);
      return;
    }
    grow(count + 1);
    buf[count++] = (byte) b;
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) throws IOException {
    if (out == null && count + len > MEMORY_LIMIT) {
      spill();
    }
    if (out != null) {
      out.write(b, off, len);
      return;
    }
    grow(count + len);
    System.arraycopy(b, off, buf, count, len);
    count += len;
  }

  private void grow(int need) {
    if (need > buf.length) {
      buf = Arrays.copyOf(buf, Math.max(need, Math.min(MEMORY_LIMIT, buf.length * 2)));
    }
  }

  @Override
  public synchronized void flush() throws IOException {
    if (out != null) {
      out.flush();
    }
  }

  /** Makes what was written so far readable by the daemon: spills to the file (if anything was written) and flushes. */
  synchronized void tick() throws IOException {
    if (out == null && count > 0) {
      spill();
    }
    flush();
  }

  private void spill() throws IOException {
    channel =
        FileChannel.open(
            file,
            Set.of(
                StandardOpenOption.CREATE,
                StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.WRITE),
            PosixFilePermissions.asFileAttribute(AtomicFiles.PRIVATE_FILE));
    out = new BufferedOutputStream(Channels.newOutputStream(channel), 64 * 1024);
    out.write(buf, 0, count);
    buf = null;
    count = 0;
  }

  synchronized boolean spilled() {
    return out != null;
  }

  /**
   * Ends the stream: the bytes when they stayed in memory, or null when they were spilled (then the
   * file is complete and forced to disk, its name too).
   */
  synchronized byte[] finish() throws IOException {
    if (out == null) {
      return Arrays.copyOf(buf, count);
    }
    out.flush();
    channel.force(true);
    channel.close();
    AtomicFiles.syncDir(file.toAbsolutePath().getParent());
    return null;
  }

  /** Drops the stream after a failure: the file (if any) is closed as it is. */
  synchronized void abandon() {
    if (channel != null) {
      try {
        out.flush();
        channel.close();
      } catch (IOException e) {
        // What was written stays.
      }
    }
  }

  @Override
  public void close() {
    // finish() ends it; the sandbox's close of the guest's stream must not.
  }
}
