package dev.plasm.identity;

import java.io.ByteArrayOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * The two multihash functions peer ids use: identity (code 0x00) and sha2-256 (code 0x12).
 *
 * <p>Other codes are refused rather than carried opaquely: every multihash read here is meant to
 * become a peer id or a DHT key.
 */
public final class Multihash {
  public static final int IDENTITY = 0x00;
  public static final int SHA2_256 = 0x12;

  /** Identity multihashes longer than this are refused; peer ids embed at most 42 bytes of key. */
  public static final int MAX_IDENTITY_LENGTH = 128;

  private Multihash() {}

  /** A decoded multihash: its function code and digest. */
  public record Decoded(int code, byte[] digest) {}

  /** The identity multihash of {@code data} (the data itself, with a header). */
  public static byte[] identity(byte[] data) {
    return wrap(IDENTITY, data);
  }

  /** The sha2-256 multihash of {@code data}. */
  public static byte[] sha256(byte[] data) {
    return wrap(SHA2_256, sha256Digest(data));
  }

  private static byte[] wrap(int code, byte[] digest) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(digest.length + 4);
    Varint.write(out, code);
    Varint.write(out, digest.length);
    out.writeBytes(digest);
    return out.toByteArray();
  }

  /**
   * Reads {@code bytes} as exactly one identity or sha2-256 multihash.
   *
   * @throws IllegalArgumentException saying what is wrong
   */
  public static Decoded decode(byte[] bytes) {
    Varint in = new Varint(bytes, 0);
    long code;
    long length;
    try {
      code = in.next();
      length = in.next();
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("malformed multihash header: " + e.getMessage(), e);
    }
    if (code != IDENTITY && code != SHA2_256) {
      throw new IllegalArgumentException(
          "unsupported multihash function 0x"
              + Long.toHexString(code)
              + " (only identity and sha2-256)");
    }
    if (code == SHA2_256 && length != 32) {
      throw new IllegalArgumentException("a sha2-256 multihash has 32 digest bytes, not " + length);
    }
    if (code == IDENTITY && length > MAX_IDENTITY_LENGTH) {
      throw new IllegalArgumentException(
          "an identity multihash of " + length + " bytes is too long");
    }
    int remaining = bytes.length - in.position();
    if (remaining != length) {
      throw new IllegalArgumentException(
          "the multihash declares " + length + " digest bytes but has " + remaining);
    }
    return new Decoded((int) code, in.take(length));
  }

  /** The plain SHA-256 digest. */
  public static byte[] sha256Digest(byte[] data) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(data);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("the JDK always has SHA-256", e);
    }
  }
}
