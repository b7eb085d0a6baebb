package dev.plasm.host;

import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/** Hashes and counts the bytes the guest actually reads from stdin. */
final class DigestingInputStream extends FilterInputStream {
  private final MessageDigest digest = Hashing.sha256();
  private long count;

  DigestingInputStream(InputStream in) {
    super(in);
  }

  @Override
  public synchronized int read() throws IOException {
    int b = super.read();
    if (b >= 0) {
      digest.update((byte) b);
      count++;
    }
    return b;
  }

  @Override
  public synchronized int read(byte[] b, int off, int len) throws IOException {
    int n = super.read(b, off, len);
    if (n > 0) {
      digest.update(b, off, n);
      count += n;
    }
    return n;
  }

  @Override
  public long skip(long n) {
    // Skipped bytes would be unhashed; the guest has no skip call, so refuse quietly.
    return 0;
  }

  synchronized StreamDigest result() {
    try {
      return new StreamDigest(Hashing.hex((MessageDigest) digest.clone()), count);
    } catch (CloneNotSupportedException e) {
      throw new IllegalStateException(e);
    }
  }
}
