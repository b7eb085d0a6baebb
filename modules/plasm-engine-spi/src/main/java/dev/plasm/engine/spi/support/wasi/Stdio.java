package dev.plasm.engine.spi.support.wasi;

import java.io.IOException;
import java.io.InputStream;
import java.io.InterruptedIOException;
import java.io.OutputStream;

/** Reads and writes of fds 0-2 on the run's streams. */
final class Stdio {
  private Stdio() {}

  /**
   * Reads stdin into the iovecs like read(2) on a pipe: waits for the first bytes only, then takes
   * what is there without waiting. Returns 0 at the end of the input.
   */
  static long read(GuestMemory m, InputStream in, long[] v) throws IOException {
    long total = 0;
    for (int i = 0; i < v.length; i += 2) {
      long addr = v[i];
      long len = v[i + 1];
      while (len > 0) {
        if (total > 0 && in.available() <= 0) {
          return total;
        }
        byte[] chunk = new byte[(int) Math.min(Guest.CHUNK, len)];
        int n;
        try {
          n = in.read(chunk, 0, chunk.length);
        } catch (InterruptedIOException e) {
          Thread.currentThread().interrupt();
          throw new GuestInterruptedException();
        }
        if (n <= 0) {
          return total;
        }
        m.write((int) addr, chunk, 0, n);
        total += n;
        addr += n;
        len -= n;
        if (n < chunk.length) {
          return total;
        }
      }
    }
    return total;
  }

  /**
   * Writes the iovecs to stdout or stderr and flushes: a WASI write is a write(2), nothing may wait
   * in a buffer of ours. What the stream throws other than an IOException (the host's output cap)
   * reaches the engine unchanged.
   */
  static long write(GuestMemory m, OutputStream out, long[] v) throws IOException {
    long total = 0;
    for (int i = 0; i < v.length; i += 2) {
      long addr = v[i];
      long len = v[i + 1];
      while (len > 0) {
        int n = (int) Math.min(Guest.CHUNK, len);
        byte[] chunk = new byte[n];
        m.read((int) addr, chunk, 0, n);
        out.write(chunk, 0, n);
        total += n;
        addr += n;
        len -= n;
      }
    }
    out.flush();
    return total;
  }
}
