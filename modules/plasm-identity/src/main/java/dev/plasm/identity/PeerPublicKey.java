package dev.plasm.identity;

import java.io.IOException;
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
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPublicKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.math.ec.ECPoint;

/**
 * A libp2p public key: its {@link KeyType} and the type's {@code Data} bytes of the {@code
 * PublicKey} protobuf, checked when it is made, able to verify signatures and to name its {@link
 * PeerId}.
 *
 * <p>Ed25519 is verified with BouncyCastle's RFC 8032 arithmetic and the strict checks of {@link
 * Ed25519Keys}; secp256k1 (compressed points, DER ECDSA over SHA-256), which the JDK dropped in 16,
 * with BouncyCastle's ECDSA; RSA (2048 to 8192 bits, PKCS#1 v1.5 with SHA-256) and ECDSA on P-256
 * (DER signatures over SHA-256) with the JDK.
 */
public final class PeerPublicKey {
  private static final int MIN_RSA_BITS = 2048;
  private static final int MAX_RSA_BITS = 8192;

  /** The order of the P-256 base point; together with the field size it identifies the curve. */
  private static final BigInteger P256_ORDER =
      new BigInteger("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16);

  private static final X9ECParameters SECP256K1_CURVE = CustomNamedCurves.getByName("secp256k1");
  private static final ECDomainParameters SECP256K1 = new ECDomainParameters(SECP256K1_CURVE);
  private static final int SECP256K1_COMPRESSED_BYTES = 33;
  private static final int SECP256K1_UNCOMPRESSED_BYTES = 65;

  private final KeyType type;
  private final byte[] data;

  /** The JDK key (RSA, ECDSA) or BouncyCastle point (secp256k1) verification uses; null for Ed25519. */
  private final Object verifyingKey;

  private PeerPublicKey(KeyType type, byte[] data, Object verifyingKey) {
    this.type = type;
    this.data = data;
    this.verifyingKey = verifyingKey;
  }

  /**
   * A key of {@code type} from its {@code Data} bytes. secp256k1 points are kept compressed, as
   * go- and js-libp2p encode them.
   *
   * @throws KeyFormatException if the bytes are not an acceptable key of that type
   * @throws UnsupportedKeyTypeException for an ECDSA key on another curve than P-256
   */
  public static PeerPublicKey of(KeyType type, byte[] data) {
    byte[] copy = data.clone();
    return switch (type) {
      case ED25519 -> {
        String problem = Ed25519Keys.publicKeyProblem(copy);
        if (problem != null) {
          throw new KeyFormatException("unacceptable Ed25519 key: " + problem);
        }
        yield new PeerPublicKey(type, copy, null);
      }
      case SECP256K1 -> {
        ECPoint point = secp256k1Point(copy);
        yield new PeerPublicKey(
            type, point.getEncoded(true), new ECPublicKeyParameters(point, SECP256K1));
      }
      case RSA -> {
        RSAPublicKey k = (RSAPublicKey) pkix("RSA", copy);
        int bits = k.getModulus().bitLength();
        if (bits < MIN_RSA_BITS || bits > MAX_RSA_BITS) {
          throw new KeyFormatException(
              "RSA keys of "
                  + bits
                  + " bits are refused ("
                  + MIN_RSA_BITS
                  + " to "
                  + MAX_RSA_BITS
                  + ")");
        }
        yield new PeerPublicKey(type, copy, k);
      }
      case ECDSA -> {
        ECPublicKey k = (ECPublicKey) pkix("EC", copy);
        var params = k.getParams();
        if (params.getCurve().getField().getFieldSize() != 256
            || !params.getOrder().equals(P256_ORDER)) {
          throw new UnsupportedKeyTypeException("only ECDSA keys on P-256 are supported");
        }
        yield new PeerPublicKey(type, copy, k);
      }
    };
  }

  /** An Ed25519 key from its 32 raw bytes. */
  public static PeerPublicKey ed25519(byte[] raw32) {
    return of(KeyType.ED25519, raw32);
  }

  /**
   * Decodes a {@code PublicKey} protobuf.
   *
   * @throws KeyFormatException if it is malformed or its key unacceptable ({@link
   *     UnsupportedKeyTypeException} for a type or curve Plasm cannot use)
   */
  public static PeerPublicKey decode(byte[] protobuf) {
    KeyProtobuf m = KeyProtobuf.decode(protobuf, "PublicKey");
    return of(m.type(), m.data());
  }

  /** The deterministic {@code PublicKey} protobuf, from which the peer id is derived. */
  public byte[] encode() {
    return new KeyProtobuf(type, data).encode();
  }

  public KeyType type() {
    return type;
  }

  /** The type-specific {@code Data} bytes (raw 32 bytes for Ed25519, PKIX DER for RSA and ECDSA). */
  public byte[] data() {
    return data.clone();
  }

  public PeerId peerId() {
    return PeerId.fromPublicKey(this);
  }

  /** Checks {@code signature} over {@code message}; false for any invalid or malformed signature. */
  public boolean verify(byte[] message, byte[] signature) {
    if (signature == null) {
      return false;
    }
    return switch (type) {
      case ED25519 -> Ed25519Keys.verify(data, message, signature);
      case SECP256K1 -> verifySecp256k1(message, signature);
      case RSA -> verifyJdk("SHA256withRSA", message, signature);
      case ECDSA -> verifyJdk("SHA256withECDSA", message, signature);
    };
  }

  private boolean verifyJdk(String algorithm, byte[] message, byte[] signature) {
    try {
      Signature s = Signature.getInstance(algorithm);
      s.initVerify((PublicKey) verifyingKey);
      s.update(message);
      return s.verify(signature);
    } catch (GeneralSecurityException e) {
      // The JDK throws SignatureException for malformed DER signatures: that is just "invalid".
      return false;
    }
  }

  private boolean verifySecp256k1(byte[] message, byte[] signature) {
    BigInteger r;
    BigInteger s;
    try {
      ASN1Sequence seq = ASN1Sequence.getInstance(ASN1Primitive.fromByteArray(signature));
      if (seq.size() != 2 || !Arrays.equals(seq.getEncoded(ASN1Encoding.DER), signature)) {
        return false; // not two integers in strict DER: one signature, one encoding
      }
      r = ASN1Integer.getInstance(seq.getObjectAt(0)).getValue();
      s = ASN1Integer.getInstance(seq.getObjectAt(1)).getValue();
    } catch (IOException | RuntimeException e) {
      return false;
    }
    ECDSASigner verifier = new ECDSASigner();
    verifier.init(false, (ECPublicKeyParameters) verifyingKey);
    // ECDSASigner refuses r and s outside [1, n-1] itself.
    return verifier.verifySignature(Multihash.sha256Digest(message), r, s);
  }

  private static ECPoint secp256k1Point(byte[] data) {
    if (data.length != SECP256K1_COMPRESSED_BYTES && data.length != SECP256K1_UNCOMPRESSED_BYTES) {
      throw new KeyFormatException(
          "a secp256k1 public key is a compressed (33-byte) or uncompressed (65-byte) point, not "
              + data.length
              + " bytes");
    }
    try {
      ECPoint p = SECP256K1_CURVE.getCurve().decodePoint(data).normalize();
      if (p.isInfinity() || !p.isValid()) {
        throw new KeyFormatException(
            "the secp256k1 public key is not a point of the curve's group");
      }
      return p;
    } catch (IllegalArgumentException e) {
      throw new KeyFormatException(
          "the secp256k1 public key is not a point of the curve: " + e.getMessage(), e);
    }
  }

  private static PublicKey pkix(String algorithm, byte[] der) {
    try {
      return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
    } catch (GeneralSecurityException | ClassCastException e) {
      throw new KeyFormatException("not a DER " + algorithm + " public key: " + e.getMessage(), e);
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
