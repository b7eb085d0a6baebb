package dev.plasm.transport.libp2p;

import dev.plasm.transport.libp2p.internal.codec.ProtoWriter;
import dev.plasm.transport.libp2p.internal.crypto.Ed25519;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A libp2p public key: its type and the type-specific {@code Data} bytes of the {@code PublicKey}
 * protobuf, able to verify signatures and to name its {@link PeerId}.
 *
 * <p>Ed25519, RSA (2048 to 8192 bits, PKCS#1 v1.5 with SHA-256) and ECDSA on P-256 (SHA-256, DER
 * signatures) are verified with the JDK. secp256k1 keys are refused with an {@link
 * UnsupportedKeyTypeException} when they are decoded, so such a peer fails its handshake clearly.
 */
public final class PeerPublicKey {
  private static final int MIN_RSA_BITS = 2048;
  private static final int MAX_RSA_BITS = 8192;
  /** The order of the P-256 base point; together with the field size it identifies the curve. */
  private static final BigInteger P256_ORDER =
      new BigInteger("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16);

  private final KeyType type;
  private final byte[] data;
  private final PublicKey jdkKey;

  private PeerPublicKey(KeyType type, byte[] data, PublicKey jdkKey) {
    this.type = type;
    this.data = data;
    this.jdkKey = jdkKey;
  }

  /** Wraps raw key data of a type, validating it as a key of that type. */
  public static PeerPublicKey of(KeyType type, byte[] data) {
    byte[] copy = data.clone();
    return new PeerPublicKey(type, copy, toJdk(type, copy));
  }

  public static PeerPublicKey ed25519(byte[] raw32) {
    return of(KeyType.ED25519, raw32);
  }

  /**
   * Decodes the {@code PublicKey} protobuf; malformed bytes are a {@link MalformedMessageException},
   * an unusable key type an {@link UnsupportedKeyTypeException}.
   */
  public static PeerPublicKey decode(byte[] protobuf) {
    KeyMessage m = KeyMessage.decode(protobuf, "PublicKey");
    long type = m.type();
    byte[] data = m.data();
    try {
      return of(KeyType.of(type), data);
    } catch (IllegalArgumentException e) {
      throw new MalformedMessageException(e.getMessage(), e);
    }
  }

  /** The deterministic {@code PublicKey} encoding: Type then Data, Type present even when 0. */
  public byte[] encode() {
    return new ProtoWriter().varint(1, type.code()).bytes(2, data).toByteArray();
  }

  public KeyType type() {
    return type;
  }

  public byte[] data() {
    return data.clone();
  }

  public PeerId peerId() {
    return PeerId.fromPublicKey(this);
  }

  /** Checks {@code signature} over {@code message}; false for any invalid or malformed signature. */
  public boolean verify(byte[] message, byte[] signature) {
    if (type == KeyType.ED25519) {
      // Not the JDK's: it accepts small-order keys and the forgeries they allow (see plasm-identity).
      return dev.plasm.identity.Ed25519Keys.verify(data, message, signature);
    }
    String algorithm =
        switch (type) {
          case ED25519 -> "Ed25519";
          case RSA -> "SHA256withRSA";
          case ECDSA -> "SHA256withECDSA";
          case SECP256K1 -> throw new IllegalStateException("unreachable: secp256k1 keys are refused");
        };
    try {
      Signature s = Signature.getInstance(algorithm);
      s.initVerify(jdkKey);
      s.update(message);
      return s.verify(signature);
    } catch (GeneralSecurityException e) {
      // The JDK throws SignatureException for malformed DER signatures: that is just "invalid".
      return false;
    }
  }

  private static PublicKey toJdk(KeyType type, byte[] data) {
    return switch (type) {
      case ED25519 -> {
        String problem = dev.plasm.identity.Ed25519Keys.publicKeyProblem(data);
        if (problem != null) {
          throw new IllegalArgumentException("unacceptable Ed25519 peer key: " + problem);
        }
        yield Ed25519.publicFromRaw(data);
      }
      case RSA -> {
        RSAPublicKey k = (RSAPublicKey) x509("RSA", data);
        int bits = k.getModulus().bitLength();
        if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) {
          throw new IllegalArgumentException(
              "RSA keys of " + bits + " bits are refused (" + MIN_RSA_BITS + " to " + MAX_RSA_BITS + ")");
        }
        yield k;
      }
      case ECDSA -> {
        ECPublicKey k = (ECPublicKey) x509("EC", data);
        var params = k.getParams();
        if (params.getCurve().getField().getFieldSize() != 256 || !params.getOrder().equals(P256_ORDER)) {
          throw new UnsupportedKeyTypeException("only ECDSA keys on P-256 are supported");
        }
        yield k;
      }
      case SECP256K1 ->
          throw new UnsupportedKeyTypeException(
              "secp256k1 keys are not supported: the JDK has no secp256k1 since JDK 16; use Ed25519");
    };
  }

  private static PublicKey x509(String algorithm, byte[] der) {
    try {
      return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
    } catch (GeneralSecurityException | ClassCastException e) {
      throw new IllegalArgumentException("not a DER " + algorithm + " public key: " + e.getMessage(), e);
    }
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PeerPublicKey k && k.type == type && Arrays.equals(k.data, data);
  }

  @Override
  public int hashCode() {
    return type.hashCode() * 31 + Arrays.hashCode(data);
  }

  @Override
  public String toString() {
    return type + ":" + HexFormat.of().formatHex(data);
  }
}
