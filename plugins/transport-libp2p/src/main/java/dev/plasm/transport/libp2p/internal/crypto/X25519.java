package dev.plasm.transport.libp2p.internal.crypto;

import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.interfaces.XECPrivateKey;
import java.security.spec.NamedParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import javax.crypto.KeyAgreement;

/** X25519 Diffie-Hellman with raw 32-byte public keys, for Noise. */
public final class X25519 {
  private static final byte[] X509_PREFIX =
      java.util.HexFormat.of().parseHex("302a300506032b656e032100");

  private X25519() {}

  public static KeyPair generate() {
    try {
      return KeyPairGenerator.getInstance("X25519").generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK always has X25519", e);
    }
  }

  /** The key pair of a given private scalar (used by the Noise test vectors). */
  public static KeyPair fromPrivate(byte[] scalar) {
    if (scalar.length != 32) {
      throw new IllegalArgumentException(
          "an X25519 private key has 32 bytes, not " + scalar.length);
    }
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("X25519");
      g.initialize(NamedParameterSpec.X25519, new FixedRandom(scalar));
      return g.generateKeyPair();
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK always has X25519", e);
    }
  }

  public static byte[] rawPrivate(PrivateKey key) {
    return ((XECPrivateKey) key).getScalar().orElseThrow();
  }

  public static byte[] rawPublic(PublicKey key) {
    byte[] der = key.getEncoded();
    return Arrays.copyOfRange(der, der.length - 32, der.length);
  }

  /**
   * The shared secret of our private key and the peer's raw public key; a low-order peer key
   * (all-zero result) makes the JDK throw, which aborts the handshake as Noise allows.
   */
  public static byte[] agree(PrivateKey ours, byte[] theirRaw) throws GeneralSecurityException {
    if (theirRaw.length != 32) {
      throw new GeneralSecurityException(
          "an X25519 public key has 32 bytes, not " + theirRaw.length);
    }
    PublicKey theirs =
        KeyFactory.getInstance("X25519")
            .generatePublic(new X509EncodedKeySpec(concat(X509_PREFIX, theirRaw)));
    KeyAgreement ka = KeyAgreement.getInstance("X25519");
    ka.init(ours);
    ka.doPhase(theirs, true);
    return ka.generateSecret();
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
