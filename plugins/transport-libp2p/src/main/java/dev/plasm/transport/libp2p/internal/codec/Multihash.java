package dev.plasm.transport.libp2p.internal.codec;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;

/**
 * The two multihash functions peer ids use: identity (code 0x00) and sha2-256 (code 0x12).
 *
 * <p>Other codes are refused rather than carried opaquely, because every multihash this stack
 * parses is meant to become a peer id.
 */
public final class Multihash {
  public static final int IDENTITY = 0x00;
  public static final int SHA2_256 = 0x12;
  /** Identity multihashes longer than this are refused; peer ids never exceed 42 bytes of key. */
  public static final int MAX_IDENTITY_LENGTH = 128;

  private Multihash() {}

  public static byte[] identity(byte[] data) {
    return wrap(IDENTITY, data);
  }

  public static byte[] sha256(byte[] data) {
    return wrap(SHA2_256, sha256Digest(data));
  }

  private static byte[] wrap(int code, byte[] digest) {
    byte[] out = new byte[Varint.size(code) + Varint.size(digest.length) + digest.length];
    int off = Varint.write(code, out, 0);
    off = Varint.write(digest.length, out, off);
    System.arraycopy(digest, 0, out, off, digest.length);
    return out;
  }

  /** A decoded multihash: its function code and digest. */
  public record Decoded(int code, byte[] digest) {}

  /**
   * Validates that {@code bytes} is exactly one identity or sha2-256 multihash; throws {@link
   * IllegalArgumentException} saying what is wrong.
   */
  public static Decoded decode(byte[] bytes) {
    int[] end = new int[1];
    long code;
    long length;
    try {
      code = Varint.decode(bytes, 0, bytes.length, end);
      length = Varint.decode(bytes, end[0], bytes.length, end);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("malformed multihash header: " + e.getMessage(), e);
    }
    if (code != IDENTITY && code != SHA2_256) {
      throw new IllegalArgumentException(
          "unsupported multihash function 0x" + Long.toHexString(code) + " (only identity and sha2-256)");
    }
    if (code == SHA2_256 && length != 32) {
      throw new IllegalArgumentException("a sha2-256 multihash has 32 digest bytes, not " + length);
    }
    if (code == IDENTITY && length > MAX_IDENTITY_LENGTH) {
      throw new IllegalArgumentException("identity multihash of " + length + " bytes is too long");
    }
    if (bytes.length - end[0] != length) {
      throw new IllegalArgumentException(
          "multihash declares " + length + " digest bytes but has " + (bytes.length - end[0]));
    }
    return new Decoded((int) code, Arrays.copyOfRange(bytes, end[0], bytes.length));
  }

  public static byte[] sha256Digest(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK always has SHA-256", e);
    }
  }
}
