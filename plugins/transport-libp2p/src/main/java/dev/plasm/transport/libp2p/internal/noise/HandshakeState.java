package dev.plasm.transport.libp2p.internal.noise;

import dev.plasm.transport.libp2p.internal.crypto.X25519;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.MessageDigest;
import java.util.Arrays;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * The Noise XX handshake ({@code -> e; <- e, ee, s, es; -> s, se}) for 25519, ChaChaPoly and
 * SHA-256, with the symmetric state inlined (Noise spec §5.2, §5.3, §7.5).
 *
 * <p>It knows nothing of libp2p: payloads are opaque and keys may be injected, so the class can be
 * checked against the published Noise test vectors.
 */
public final class HandshakeState {
  public static final String PROTOCOL_NAME = "Noise_XX_25519_ChaChaPoly_SHA256";
  static final int DH_LEN = 32;

  private final boolean initiator;
  private final KeyPair s;
  private KeyPair e;
  private byte[] rs;
  private byte[] re;
  private byte[] ck;
  private byte[] h;
  private final CipherState cipher = new CipherState();
  private int messageIndex;

  /**
   * @param s our static X25519 key pair
   * @param e our ephemeral key pair, or null to generate one (only test vectors inject it)
   */
  public HandshakeState(boolean initiator, byte[] prologue, KeyPair s, KeyPair e) {
    this.initiator = initiator;
    this.s = s;
    this.e = e;
    byte[] name = PROTOCOL_NAME.getBytes(StandardCharsets.US_ASCII);
    // The name is exactly HASHLEN (32) bytes, so it is used as h directly, without hashing.
    h = name.length == 32 ? name : sha256(name);
    ck = h.clone();
    mixHash(prologue);
  }

  public boolean isInitiator() {
    return initiator;
  }

  /** The next message's number (0, 1, 2), and 3 once the handshake is complete. */
  public int messageIndex() {
    return messageIndex;
  }

  /** Writes the next handshake message carrying {@code payload}. */
  public byte[] writeMessage(byte[] payload) throws GeneralSecurityException {
    checkTurn(true);
    byte[] out;
    switch (messageIndex) {
      case 0 -> out = concat(writeE(), encryptAndHash(payload));
      case 1 -> {
        byte[] ePub = writeE();
        mixKey(X25519.agree(e.getPrivate(), re)); // ee
        byte[] encS = encryptAndHash(X25519.rawPublic(s.getPublic()));
        mixKey(X25519.agree(s.getPrivate(), re)); // es
        out = concat(ePub, encS, encryptAndHash(payload));
      }
      case 2 -> {
        byte[] encS = encryptAndHash(X25519.rawPublic(s.getPublic()));
        mixKey(X25519.agree(s.getPrivate(), re)); // se
        out = concat(encS, encryptAndHash(payload));
      }
      default -> throw new IllegalStateException("handshake already complete");
    }
    messageIndex++;
    return out;
  }

  /** Reads the peer's next handshake message and returns its payload. */
  public byte[] readMessage(byte[] message) throws GeneralSecurityException {
    checkTurn(false);
    byte[] payload;
    switch (messageIndex) {
      case 0 -> {
        re = take(message, 0, DH_LEN);
        mixHash(re);
        payload = decryptAndHash(Arrays.copyOfRange(message, DH_LEN, message.length));
      }
      case 1 -> {
        re = take(message, 0, DH_LEN);
        mixHash(re);
        mixKey(X25519.agree(e.getPrivate(), re)); // ee
        rs = decryptAndHash(take(message, DH_LEN, 2 * DH_LEN + CipherState.TAG_LENGTH));
        mixKey(X25519.agree(e.getPrivate(), rs)); // es
        payload =
            decryptAndHash(
                Arrays.copyOfRange(message, 2 * DH_LEN + CipherState.TAG_LENGTH, message.length));
      }
      case 2 -> {
        rs = decryptAndHash(take(message, 0, DH_LEN + CipherState.TAG_LENGTH));
        mixKey(X25519.agree(e.getPrivate(), rs)); // se
        payload =
            decryptAndHash(
                Arrays.copyOfRange(message, DH_LEN + CipherState.TAG_LENGTH, message.length));
      }
      default -> throw new IllegalStateException("handshake already complete");
    }
    messageIndex++;
    return payload;
  }

  /** The remote static public key, known after it was received. */
  public byte[] remoteStatic() {
    return rs == null ? null : rs.clone();
  }

  public byte[] localStatic() {
    return X25519.rawPublic(s.getPublic());
  }

  public byte[] handshakeHash() {
    return h.clone();
  }

  /** The two transport ciphers: [0] for initiator-to-responder, [1] for the reverse. */
  public CipherState[] split() throws GeneralSecurityException {
    if (messageIndex != 3) {
      throw new IllegalStateException("split before the handshake completed");
    }
    byte[][] keys = hkdf(ck, new byte[0]);
    CipherState c1 = new CipherState();
    c1.initializeKey(keys[0]);
    CipherState c2 = new CipherState();
    c2.initializeKey(keys[1]);
    Arrays.fill(ck, (byte) 0);
    return new CipherState[] {c1, c2};
  }

  private void checkTurn(boolean writing) {
    // Initiator writes messages 0 and 2, responder writes message 1.
    boolean ourTurn = (messageIndex % 2 == 0) == initiator;
    if (messageIndex > 2 || ourTurn != writing) {
      throw new IllegalStateException(
          "not our turn to " + (writing ? "write" : "read") + " message " + messageIndex);
    }
  }

  private byte[] writeE() {
    if (e == null) {
      e = X25519.generate();
    }
    byte[] pub = X25519.rawPublic(e.getPublic());
    mixHash(pub);
    return pub;
  }

  private void mixHash(byte[] data) {
    h = sha256(h, data);
  }

  private void mixKey(byte[] ikm) throws GeneralSecurityException {
    byte[][] out = hkdf(ck, ikm);
    ck = out[0];
    cipher.initializeKey(out[1]);
  }

  private byte[] encryptAndHash(byte[] plaintext) throws GeneralSecurityException {
    byte[] c = cipher.encrypt(h, plaintext);
    mixHash(c);
    return c;
  }

  private byte[] decryptAndHash(byte[] ciphertext) throws GeneralSecurityException {
    byte[] p = cipher.decrypt(h, ciphertext);
    mixHash(ciphertext);
    return p;
  }

  /** HKDF with two outputs, as Noise defines it on HMAC-SHA256 (§4.3). */
  static byte[][] hkdf(byte[] chainingKey, byte[] ikm) throws GeneralSecurityException {
    byte[] temp = hmac(chainingKey, ikm);
    byte[] o1 = hmac(temp, new byte[] {1});
    byte[] o2 = hmac(temp, concat(o1, new byte[] {2}));
    return new byte[][] {o1, o2};
  }

  private static byte[] hmac(byte[] key, byte[] data) throws GeneralSecurityException {
    Mac mac = Mac.getInstance("HmacSHA256");
    mac.init(new SecretKeySpec(key, "HmacSHA256"));
    return mac.doFinal(data);
  }

  private static byte[] sha256(byte[]... parts) {
    try {
      MessageDigest d = MessageDigest.getInstance("SHA-256");
      for (byte[] p : parts) {
        d.update(p);
      }
      return d.digest();
    } catch (GeneralSecurityException ex) {
      throw new IllegalStateException("the JDK always has SHA-256", ex);
    }
  }

  private static byte[] take(byte[] message, int from, int to) throws GeneralSecurityException {
    if (message.length < to) {
      throw new GeneralSecurityException(
          "Noise handshake message of " + message.length + " bytes is too short");
    }
    return Arrays.copyOfRange(message, from, to);
  }

  static byte[] concat(byte[]... parts) {
    int n = 0;
    for (byte[] p : parts) {
      n += p.length;
    }
    byte[] out = new byte[n];
    int off = 0;
    for (byte[] p : parts) {
      System.arraycopy(p, 0, out, off, p.length);
      off += p.length;
    }
    return out;
  }
}
