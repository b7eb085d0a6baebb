package dev.plasm.transport.libp2p.internal.noise;

import java.security.GeneralSecurityException;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.spec.IvParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * A Noise CipherState for ChaChaPoly: a 32-byte key and a 64-bit message counter (Noise spec §5.1).
 *
 * <p>Each instance is used in one direction only (the split gives one per direction), so one JDK
 * {@link Cipher} is kept and re-initialised with the next nonce for every message. Not thread-safe:
 * the secure channel serialises access.
 */
public final class CipherState {
  public static final int TAG_LENGTH = 16;
  private SecretKeySpec key;
  private long nonce;
  private final Cipher cipher;

  public CipherState() {
    try {
      cipher = Cipher.getInstance("ChaCha20-Poly1305");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("the JDK always has ChaCha20-Poly1305", e);
    }
  }

  public void initializeKey(byte[] k) {
    key = new SecretKeySpec(k, "ChaCha20");
    nonce = 0;
  }

  public boolean hasKey() {
    return key != null;
  }

  long nonce() {
    return nonce;
  }

  /** Encrypts {@code in[off..off+len)} into {@code out} at {@code outOff}; returns the bytes written. */
  public int encrypt(byte[] ad, byte[] in, int off, int len, byte[] out, int outOff)
      throws GeneralSecurityException {
    if (key == null) {
      System.arraycopy(in, off, out, outOff, len);
      return len;
    }
    cipher.init(Cipher.ENCRYPT_MODE, key, nextIv());
    if (ad != null && ad.length > 0) {
      cipher.updateAAD(ad);
    }
    return cipher.doFinal(in, off, len, out, outOff);
  }

  /**
   * Decrypts and authenticates; a bad tag throws {@link AEADBadTagException}, after which the
   * nonce is not advanced (the caller drops the connection anyway).
   */
  public int decrypt(byte[] ad, byte[] in, int off, int len, byte[] out, int outOff)
      throws GeneralSecurityException {
    if (key == null) {
      System.arraycopy(in, off, out, outOff, len);
      return len;
    }
    if (len < TAG_LENGTH) {
      throw new AEADBadTagException("ciphertext of " + len + " bytes is shorter than its tag");
    }
    cipher.init(Cipher.DECRYPT_MODE, key, nextIvPeek());
    if (ad != null && ad.length > 0) {
      cipher.updateAAD(ad);
    }
    int n = cipher.doFinal(in, off, len, out, outOff);
    nonce++;
    return n;
  }

  public byte[] encrypt(byte[] ad, byte[] plaintext) throws GeneralSecurityException {
    byte[] out = new byte[plaintext.length + (key == null ? 0 : TAG_LENGTH)];
    encrypt(ad, plaintext, 0, plaintext.length, out, 0);
    return out;
  }

  public byte[] decrypt(byte[] ad, byte[] ciphertext) throws GeneralSecurityException {
    byte[] out = new byte[Math.max(0, ciphertext.length - (key == null ? 0 : TAG_LENGTH))];
    decrypt(ad, ciphertext, 0, ciphertext.length, out, 0);
    return out;
  }

  private IvParameterSpec nextIv() throws GeneralSecurityException {
    IvParameterSpec iv = nextIvPeek();
    nonce++;
    return iv;
  }

  private IvParameterSpec nextIvPeek() throws GeneralSecurityException {
    // 2^64-1 is reserved (Noise §5.1); stop before it, as the unsigned counter would wrap there.
    if (nonce == -1L) {
      throw new GeneralSecurityException(
          "Noise nonce exhausted; the connection must be re-established");
    }
    byte[] iv = new byte[12];
    long n = nonce;
    for (int i = 4; i < 12; i++) {
      iv[i] = (byte) n;
      n >>>= 8;
    }
    return new IvParameterSpec(iv);
  }

  /** Test hook: jump the counter, to check exhaustion without 2^64 messages. */
  void setNonceForTest(long n) {
    nonce = n;
  }
}
