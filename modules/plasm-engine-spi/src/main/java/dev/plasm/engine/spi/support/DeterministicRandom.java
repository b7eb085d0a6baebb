package dev.plasm.engine.spi.support;

import dev.plasm.engine.spi.Determinism;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Random;

/**
 * The byte stream of a deterministic run's {@code random_get}: SHA-256(seed || u64be(block))
 * for block = 0, 1, 2, ..., consumed in order across calls. Any implementation in any language
 * gives the same bytes.
 */
public final class DeterministicRandom extends Random {
  private static final long serialVersionUID = 1L;
  private final byte[] seed;
  private final transient MessageDigest sha256;
  private long block;
  private byte[] current = new byte[0];
  private int used;

  public DeterministicRandom(Determinism d) {
    super(0);
    this.seed = d.randomSeed();
    try {
      this.sha256 = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  @Override
  public synchronized void nextBytes(byte[] out) {
    for (int i = 0; i < out.length; i++) {
      if (sha256 == null) {
        throw new IllegalStateException("not initialised");
      }
      if (used == current.length) {
        sha256.update(seed);
        sha256.update(ByteBuffer.allocate(8).putLong(block++).array());
        current = sha256.digest();
        used = 0;
      }
      out[i] = current[used++];
    }
  }

  @Override
  protected int next(int bits) {
    byte[] b = new byte[4];
    nextBytes(b);
    int v = ((b[0] & 0xff) << 24) | ((b[1] & 0xff) << 16) | ((b[2] & 0xff) << 8) | (b[3] & 0xff);
    return v >>> (32 - bits);
  }
}
