package dev.plasm.host;

import dev.plasm.api.ByteSize;
import dev.plasm.api.Limit;
import dev.plasm.api.LimitExceededException;
import java.io.IOException;
import java.io.OutputStream;

/**
 * An output stream that passes at most {@code cap} bytes on and then throws {@link
 * LimitExceededException}; the bytes before the cap are kept.
 */
final class CappedOutputStream extends OutputStream {
  private final OutputStream out;
  private final long cap;
  private final String name;
  private final java.security.MessageDigest digest = Hashing.sha256();
  private long passed;
  private long attempted;
  private volatile boolean tripped;

  CappedOutputStream(OutputStream out, long cap, String name) {
    this.out = out;
    this.cap = cap;
    this.name = name;
  }

  @Override
  public synchronized void write(int b) throws IOException {
    write(new byte[] {(byte) b}, 0, 1);
  }

  @Override
  public synchronized void write(byte[] b, int off, int len) throws IOException {
    long written = Math.min(attempted, cap);
    attempted += len;
    long room = cap - written;
    if (len <= room) {
      out.write(b, off, len);
      digest.update(b, off, len);
      passed += len;
      return;
    }
    if (room > 0) {
      out.write(b, off, (int) room);
      digest.update(b, off, (int) room);
      passed += room;
    }
    tripped = true;
    out.flush();
    throw exceeded();
  }

  LimitExceededException exceeded() {
    return new LimitExceededException(
        Limit.OUTPUT,
        name
            + " passed the "
            + ByteSize.format(cap)
            + " cap ("
            + Limit.OUTPUT.flag()
            + "); the first "
            + ByteSize.format(cap)
            + " were kept");
  }

  @Override
  public void flush() throws IOException {
    out.flush();
  }

  boolean tripped() {
    return tripped;
  }

  /** The digest of the bytes passed on (the guest's output up to the cap). */
  synchronized StreamDigest result() {
    try {
      return new StreamDigest(Hashing.hex((java.security.MessageDigest) digest.clone()), passed);
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException(e);
    }
  }

  synchronized long attempted() {
    return attempted;
  }
}
