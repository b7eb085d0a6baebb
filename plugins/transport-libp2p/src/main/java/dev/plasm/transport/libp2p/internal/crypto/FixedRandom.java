package dev.plasm.transport.libp2p.internal.crypto;

import java.io.Serial;
import java.security.SecureRandom;

/**
 * A "random" source that hands out one given 32-byte secret, so that the JDK's Ed25519 and X25519
 * key-pair generators build the key pair of a known seed or scalar.
 *
 * <p>Why: the JDK has no public call that derives a public key from an Ed25519 seed or an X25519
 * scalar, but both generators draw exactly 32 bytes from their {@link SecureRandom} and use them
 * as the private key (checked against the RFC 8032 and RFC 7748 vectors in the tests).
 */
final class FixedRandom extends SecureRandom {
  @Serial private static final long serialVersionUID = 1L;
  private final byte[] secret;
  private boolean used;

  FixedRandom(byte[] secret) {
    this.secret = secret.clone();
  }

  @Override
  public synchronized void nextBytes(byte[] bytes) {
    if (used || bytes.length != secret.length) {
      // Fail loudly if a JDK ever draws differently: a silently random key would be worse.
      throw new IllegalStateException("key generator drew " + bytes.length + " bytes unexpectedly");
    }
    used = true;
    System.arraycopy(secret, 0, bytes, 0, bytes.length);
  }
}
