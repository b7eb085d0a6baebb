package dev.plasm.identity;

import java.security.SecureRandom;
import org.bouncycastle.math.ec.rfc8032.Ed25519;

/**
 * Ed25519 with the checks the JDK leaves out: public keys must be canonical encodings of points
 * of prime order (the JDK accepts the small-order key {@code 01 00..00}, under which a
 * signature of R = identity, S = 0 verifies for every message), and signatures must be
 * canonical (S below the group order).
 */
public final class Ed25519Keys {
  public static final int PUBLIC_KEY_BYTES = 32;
  public static final int SEED_BYTES = 32;
  public static final int SIGNATURE_BYTES = 64;

  private Ed25519Keys() {}

  /** A new random private key (the 32-byte seed of RFC 8032). */
  public static byte[] newSeed() {
    byte[] seed = new byte[SEED_BYTES];
    Ed25519.generatePrivateKey(new SecureRandom(), seed);
    return seed;
  }

  public static byte[] publicKey(byte[] seed) {
    byte[] pk = new byte[PUBLIC_KEY_BYTES];
    Ed25519.generatePublicKey(seed, 0, pk, 0);
    return pk;
  }

  public static byte[] sign(byte[] seed, byte[] message) {
    byte[] sig = new byte[SIGNATURE_BYTES];
    Ed25519.sign(seed, 0, message, 0, message.length, sig, 0);
    return sig;
  }

  /**
   * Signs with a key pair whose public half is already known: half the work of {@link
   * #sign(byte[], byte[])}, which derives it from the seed every time.
   */
  public static byte[] sign(byte[] seed, byte[] publicKey, byte[] message) {
    byte[] sig = new byte[SIGNATURE_BYTES];
    Ed25519.sign(seed, 0, publicKey, 0, message, 0, message.length, sig, 0);
    return sig;
  }

  /**
   * Why a public key is unacceptable, or null if it is a canonical encoding of a point of prime
   * order.
   */
  public static String publicKeyProblem(byte[] publicKey) {
    if (publicKey == null || publicKey.length != PUBLIC_KEY_BYTES) {
      return "an Ed25519 public key has 32 bytes, this one has "
          + (publicKey == null ? 0 : publicKey.length);
    }
    if (!Ed25519.validatePublicKeyFull(publicKey, 0)) {
      return "the public key is not a canonical Ed25519 point of prime order (small-order and non-canonical keys are refused)";
    }
    return null;
  }

  /** Strict verification: a bad key, a non-canonical signature or a wrong length is false. */
  public static boolean verify(byte[] publicKey, byte[] message, byte[] signature) {
    if (publicKeyProblem(publicKey) != null
        || signature == null
        || signature.length != SIGNATURE_BYTES) {
      return false;
    }
    // BouncyCastle refuses S >= L and non-canonical R encodings in verify itself.
    return Ed25519.verify(signature, 0, publicKey, 0, message, 0, message.length);
  }
}
