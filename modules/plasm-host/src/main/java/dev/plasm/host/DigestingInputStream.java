package dev.plasm.host;

import dev.plasm.api.ByteSize;
import dev.plasm.api.Limit;
import dev.plasm.api.LimitExceededException;
import java.io.FilterInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.security.MessageDigest;

/**
 * Hashes and counts the bytes the guest actually reads from stdin, and stops it past {@code cap}:
 * the read that would go over throws {@link LimitExceededException} for {@link Limit#STDIN}.
 */
final class DigestingInputStream extends FilterInputStream {
  private final MessageDigest digest = Hashing.sha256();
  private final long cap;
  private long count;
  private LimitExceededException exceeded;

  DigestingInputStream(InputStream in, long cap) {
    super(in);
    this.cap = cap;
  }

  @Override
  public synchronized int read() throws IOException {
    check();
    int b = super.read();
    if (b >= 0) {
      if (count == cap) {
        throw trip();
      }
      digest.update((byte) b);
      count++;
    }
    return b;
  }

  @Override
  public synchronized int read(byte[] b, int off, int len) throws IOException {
    check();
    // One byte more than the cap allows, to tell "exactly the cap" from "over it".
    int n = super.read(b, off, (int) Math.min(len, cap - count + 1));
    if (n > 0) {
      if (count + n > cap) {
        throw trip();
      }
      digest.update(b, off, n);
      count += n;
    }
    return n;
  }

  private void check() {
    if (exceeded != null) {
      throw exceeded;
    }
  }

  private LimitExceededException trip() {
    exceeded =
        new LimitExceededException(
            Limit.STDIN,
            "stdin passed the " + ByteSize.format(cap) + " cap (" + Limit.STDIN.flag() + ")");
    return exceeded;
  }

  /** Whether the guest tried to read past the cap. */
  synchronized boolean tripped() {
    return exceeded != null;
  }

  synchronized LimitExceededException exceeded() {
    return exceeded;
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
