package dev.plasm.transport.libp2p.internal.quic;

import dev.plasm.identity.KeyFormatException;
import dev.plasm.identity.NodeIdentity;
import dev.plasm.identity.PeerPublicKey;
import dev.plasm.transport.libp2p.HandshakeException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.X509EncodedKeySpec;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.Set;
import org.bouncycastle.asn1.ASN1BitString;
import org.bouncycastle.asn1.ASN1Encodable;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.ASN1OctetString;
import org.bouncycastle.asn1.ASN1Primitive;
import org.bouncycastle.asn1.ASN1Sequence;
import org.bouncycastle.asn1.ASN1TaggedObject;
import org.bouncycastle.asn1.DERBitString;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.pkcs.PKCSObjectIdentifiers;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.AlgorithmIdentifier;
import org.bouncycastle.asn1.x509.Certificate;
import org.bouncycastle.asn1.x509.Extension;
import org.bouncycastle.asn1.x509.Extensions;
import org.bouncycastle.asn1.x509.SubjectPublicKeyInfo;
import org.bouncycastle.asn1.x509.TBSCertificate;
import org.bouncycastle.asn1.x509.Time;
import org.bouncycastle.asn1.x509.V3TBSCertificateGenerator;
import org.bouncycastle.asn1.x9.X9ObjectIdentifiers;

/**
 * The self-signed certificate of the libp2p TLS handshake (libp2p/specs tls/tls.md): a throw-away
 * P-256 key signs the certificate, and the extension {@value #EXTENSION_OID} carries {@code
 * SignedKey{publicKey, signature}}, the host's libp2p public key and its signature over {@code
 * "libp2p-tls-handshake:" || SubjectPublicKeyInfo}. That signature binds the TLS key to the peer id.
 *
 * <p>Certificates are read with Bouncy Castle's ASN.1 classes, not the JDK's X.509 parser, which
 * refuses the empty issuer and subject names that rust-libp2p (and so js-libp2p's QUIC) sends.
 */
public final class Libp2pCertificate {
  /** The libp2p Public Key Extension. */
  public static final String EXTENSION_OID = "1.3.6.1.4.1.53594.1.1";

  private static final ASN1ObjectIdentifier LIBP2P_EXTENSION =
      new ASN1ObjectIdentifier(EXTENSION_OID);

  /** id-Ed25519 (RFC 8410), as a certificate key and signature algorithm. */
  private static final ASN1ObjectIdentifier ED25519 = new ASN1ObjectIdentifier("1.3.101.112");

  private static final byte[] SIGNATURE_PREFIX =
      "libp2p-tls-handshake:".getBytes(StandardCharsets.US_ASCII);

  /** Critical extensions a peer may send besides ours (rust-libp2p marks the libp2p one critical). */
  private static final Set<ASN1ObjectIdentifier> KNOWN_CRITICAL =
      Set.of(
          LIBP2P_EXTENSION,
          Extension.basicConstraints,
          Extension.keyUsage,
          Extension.extendedKeyUsage,
          Extension.subjectAlternativeName);

  /** The largest certificate read; a libp2p certificate with an RSA host key is about 1 KiB. */
  static final int MAX_CERTIFICATE_BYTES = 16 * 1024;

  private final PrivateKey key;
  private final X509Certificate certificate;

  private Libp2pCertificate(PrivateKey key, X509Certificate certificate) {
    this.key = key;
    this.certificate = certificate;
  }

  /** A fresh certificate for {@code identity}, valid from an hour ago for {@code validity}. */
  public static Libp2pCertificate create(NodeIdentity identity, Duration validity) {
    try {
      KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
      g.initialize(new ECGenParameterSpec("secp256r1"));
      KeyPair certKey = g.generateKeyPair();
      byte[] serial = new byte[16];
      new SecureRandom().nextBytes(serial);
      // Not empty, unlike rust's: the JDK builds an X509Certificate of our own certificate for
      // Netty, and its parser refuses empty names.
      X500Name name = new X500Name("SERIALNUMBER=" + new BigInteger(1, serial).toString(16));
      Instant now = Instant.now();
      byte[] der =
          der(
              certKey,
              now.minus(Duration.ofHours(1)),
              now.plus(validity),
              name,
              signedKeyExtension(identity, certKey.getPublic().getEncoded()));
      X509Certificate x509 =
          (X509Certificate)
              CertificateFactory.getInstance("X.509")
                  .generateCertificate(new ByteArrayInputStream(der));
      return new Libp2pCertificate(certKey.getPrivate(), x509);
    } catch (GeneralSecurityException | IOException e) {
      throw new IllegalStateException(
          "cannot create the libp2p TLS certificate: " + e.getMessage(), e);
    }
  }

  /**
   * The libp2p extension (critical, as rust-libp2p marks it): {@code SignedKey{publicKey,
   * signature}} with {@code identity}'s signature over the certificate key's {@code spki}.
   */
  static Extension signedKeyExtension(NodeIdentity identity, byte[] spki) throws IOException {
    byte[] signature = identity.sign(concat(SIGNATURE_PREFIX, spki));
    ASN1Encodable signedKey =
        new DERSequence(
            new ASN1Encodable[] {
              new DEROctetString(identity.publicKey().encode()), new DEROctetString(signature)
            });
    return new Extension(
        LIBP2P_EXTENSION,
        true,
        new DEROctetString(signedKey.toASN1Primitive().getEncoded(ASN1Encoding.DER)));
  }

  /** A DER certificate for {@code certKey}, self-signed with ECDSA P-256 and SHA-256. */
  static byte[] der(
      KeyPair certKey, Instant from, Instant until, X500Name name, Extension... extensions)
      throws GeneralSecurityException, IOException {
    byte[] serial = new byte[16];
    new SecureRandom().nextBytes(serial);
    serial[0] &= 0x7F; // a positive INTEGER
    AlgorithmIdentifier ecdsaSha256 =
        new AlgorithmIdentifier(X9ObjectIdentifiers.ecdsa_with_SHA256);
    V3TBSCertificateGenerator tbs = new V3TBSCertificateGenerator();
    tbs.setSerialNumber(new ASN1Integer(new BigInteger(serial)));
    tbs.setSignature(ecdsaSha256);
    tbs.setIssuer(name);
    tbs.setSubject(name);
    tbs.setStartDate(new Time(Date.from(from)));
    tbs.setEndDate(new Time(Date.from(until)));
    tbs.setSubjectPublicKeyInfo(SubjectPublicKeyInfo.getInstance(certKey.getPublic().getEncoded()));
    if (extensions.length > 0) {
      tbs.setExtensions(new Extensions(extensions));
    }
    TBSCertificate tbsCert = tbs.generateTBSCertificate();
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(certKey.getPrivate());
    s.update(tbsCert.getEncoded(ASN1Encoding.DER));
    return new Certificate(tbsCert, ecdsaSha256, new DERBitString(s.sign()))
        .getEncoded(ASN1Encoding.DER);
  }

  public PrivateKey privateKey() {
    return key;
  }

  public X509Certificate certificate() {
    return certificate;
  }

  /**
   * Checks a peer's certificate chain as tls.md asks and returns the host key it carries: exactly
   * one certificate, currently valid, correctly self-signed, no unknown critical extension, and a
   * libp2p extension whose signature by the host key covers the certificate's key.
   *
   * @throws HandshakeException naming what is wrong
   */
  public static PeerPublicKey verify(java.security.cert.Certificate[] chain, Instant now) {
    if (chain == null || chain.length != 1) {
      throw new HandshakeException(
          "libp2p TLS: the peer must send exactly one certificate, not "
              + (chain == null ? 0 : chain.length));
    }
    byte[] der;
    try {
      der = chain[0].getEncoded(); // the DER as received: never parsed by the JDK
    } catch (CertificateException e) {
      throw new HandshakeException("libp2p TLS: unreadable certificate: " + e.getMessage(), e);
    }
    return verify(der, now);
  }

  /** {@link #verify(java.security.cert.Certificate[], Instant)} on one DER certificate. */
  public static PeerPublicKey verify(byte[] der, Instant now) {
    if (der.length > MAX_CERTIFICATE_BYTES) {
      throw new HandshakeException(
          "libp2p TLS: a certificate of "
              + der.length
              + " bytes (at most "
              + MAX_CERTIFICATE_BYTES
              + ")");
    }
    // Read field by field: Bouncy Castle's TBSCertificate, like the JDK, refuses the empty issuer
    // name that rust-libp2p certificates carry, and names play no part in libp2p's check.
    Tbs tbs;
    AlgorithmIdentifier outerAlg;
    byte[] signatureValue;
    try {
      ASN1Sequence cert = ASN1Sequence.getInstance(ASN1Primitive.fromByteArray(der));
      if (cert.size() != 3) {
        throw new IllegalArgumentException("a certificate has 3 parts, not " + cert.size());
      }
      tbs = Tbs.read(ASN1Sequence.getInstance(cert.getObjectAt(0)), rawFirstElement(der));
      outerAlg = AlgorithmIdentifier.getInstance(cert.getObjectAt(1));
      signatureValue = ASN1BitString.getInstance(cert.getObjectAt(2)).getOctets();
    } catch (IOException | RuntimeException e) {
      throw new HandshakeException(
          "libp2p TLS: the certificate is not DER X.509: " + e.getMessage(), e);
    }
    if (now.isBefore(tbs.notBefore) || now.isAfter(tbs.notAfter)) {
      throw new HandshakeException(
          "libp2p TLS: the certificate is valid from "
              + tbs.notBefore
              + " until "
              + tbs.notAfter
              + ", not now");
    }
    if (!tbs.signatureAlgorithm.equals(outerAlg)) {
      throw new HandshakeException("libp2p TLS: the certificate names two signature algorithms");
    }
    try {
      PublicKey certKey = certificateKey(tbs.spki, tbs.spkiDer);
      Signature s = Signature.getInstance(jdkSignatureName(outerAlg));
      s.initVerify(certKey);
      s.update(tbs.raw);
      if (!s.verify(signatureValue)) {
        throw new HandshakeException(
            "libp2p TLS: the certificate's self-signature does not verify");
      }
    } catch (GeneralSecurityException | IllegalArgumentException e) {
      throw new HandshakeException(
          "libp2p TLS: cannot check the certificate's self-signature: " + e.getMessage(), e);
    }
    Extensions exts = tbs.extensions;
    Extension ext = exts == null ? null : exts.getExtension(LIBP2P_EXTENSION);
    if (ext == null) {
      throw new HandshakeException(
          "libp2p TLS: the certificate has no libp2p public key extension (" + EXTENSION_OID + ")");
    }
    for (ASN1ObjectIdentifier oid : exts.getCriticalExtensionOIDs()) {
      if (!KNOWN_CRITICAL.contains(oid)) {
        throw new HandshakeException("libp2p TLS: unknown critical extension " + oid);
      }
    }
    PeerPublicKey hostKey;
    byte[] signature;
    try {
      ASN1Sequence seq =
          ASN1Sequence.getInstance(ASN1Primitive.fromByteArray(ext.getExtnValue().getOctets()));
      if (seq.size() != 2) {
        throw new IllegalArgumentException("SignedKey has " + seq.size() + " fields, not 2");
      }
      hostKey = PeerPublicKey.decode(ASN1OctetString.getInstance(seq.getObjectAt(0)).getOctets());
      signature = ASN1OctetString.getInstance(seq.getObjectAt(1)).getOctets();
    } catch (IOException | RuntimeException e) {
      if (e instanceof KeyFormatException ke) {
        throw new HandshakeException(
            "libp2p TLS: the extension's host key: " + ke.getMessage(), ke);
      }
      throw new HandshakeException("libp2p TLS: malformed libp2p extension: " + e.getMessage(), e);
    }
    if (!hostKey.verify(concat(SIGNATURE_PREFIX, tbs.spkiDer), signature)) {
      throw new HandshakeException(
          "libp2p TLS: the host key's signature over the certificate key does not verify");
    }
    return hostKey;
  }

  /** The fields of a TBSCertificate that libp2p needs, read without judging the names. */
  private record Tbs(
      byte[] raw,
      AlgorithmIdentifier signatureAlgorithm,
      Instant notBefore,
      Instant notAfter,
      SubjectPublicKeyInfo spki,
      byte[] spkiDer,
      Extensions extensions) {
    static Tbs read(ASN1Sequence seq, byte[] raw) throws IOException {
      int i = 0;
      if (seq.getObjectAt(0) instanceof ASN1TaggedObject t && t.getTagNo() == 0) {
        i++; // version
      }
      i++; // serial number
      AlgorithmIdentifier alg = AlgorithmIdentifier.getInstance(seq.getObjectAt(i++));
      i++; // issuer
      ASN1Sequence validity = ASN1Sequence.getInstance(seq.getObjectAt(i++));
      Instant from = Time.getInstance(validity.getObjectAt(0)).getDate().toInstant();
      Instant until = Time.getInstance(validity.getObjectAt(1)).getDate().toInstant();
      i++; // subject
      SubjectPublicKeyInfo spki = SubjectPublicKeyInfo.getInstance(seq.getObjectAt(i++));
      Extensions exts = null;
      for (; i < seq.size(); i++) {
        if (seq.getObjectAt(i) instanceof ASN1TaggedObject t && t.getTagNo() == 3) {
          exts = Extensions.getInstance(t.getExplicitBaseObject());
        }
      }
      return new Tbs(raw, alg, from, until, spki, spki.getEncoded(ASN1Encoding.DER), exts);
    }
  }

  /**
   * The exact bytes of the first element inside the outer SEQUENCE of {@code der} (the signed
   * TBSCertificate): the signature covers these bytes, not a re-encoding of them.
   */
  static byte[] rawFirstElement(byte[] der) {
    int inner = headerLength(der, 0);
    int len = headerLength(der, inner) + contentLength(der, inner);
    if (inner + len > der.length) {
      throw new IllegalArgumentException("truncated certificate");
    }
    return java.util.Arrays.copyOfRange(der, inner, inner + len);
  }

  private static int headerLength(byte[] b, int at) {
    int first = b[at + 1] & 0xFF;
    return first < 0x80 ? 2 : 2 + (first & 0x7F);
  }

  private static int contentLength(byte[] b, int at) {
    int first = b[at + 1] & 0xFF;
    if (first < 0x80) {
      return first;
    }
    int n = first & 0x7F;
    if (n == 0 || n > 3) {
      throw new IllegalArgumentException("unsupported DER length of " + n + " bytes");
    }
    int len = 0;
    for (int k = 0; k < n; k++) {
      len = (len << 8) | (b[at + 2 + k] & 0xFF);
    }
    return len;
  }

  private static PublicKey certificateKey(SubjectPublicKeyInfo info, byte[] spki)
      throws GeneralSecurityException {
    ASN1ObjectIdentifier alg = info.getAlgorithm().getAlgorithm();
    String jdk;
    if (alg.equals(X9ObjectIdentifiers.id_ecPublicKey)) {
      jdk = "EC";
    } else if (alg.equals(PKCSObjectIdentifiers.rsaEncryption)) {
      jdk = "RSA";
    } else if (alg.equals(ED25519)) {
      jdk = "Ed25519";
    } else {
      throw new GeneralSecurityException("certificate key algorithm " + alg + " is not supported");
    }
    return KeyFactory.getInstance(jdk).generatePublic(new X509EncodedKeySpec(spki));
  }

  private static String jdkSignatureName(AlgorithmIdentifier alg) throws GeneralSecurityException {
    ASN1ObjectIdentifier oid = alg.getAlgorithm();
    if (oid.equals(X9ObjectIdentifiers.ecdsa_with_SHA256)) {
      return "SHA256withECDSA";
    } else if (oid.equals(X9ObjectIdentifiers.ecdsa_with_SHA384)) {
      return "SHA384withECDSA";
    } else if (oid.equals(X9ObjectIdentifiers.ecdsa_with_SHA512)) {
      return "SHA512withECDSA";
    } else if (oid.equals(ED25519)) {
      return "Ed25519";
    } else if (oid.equals(PKCSObjectIdentifiers.sha256WithRSAEncryption)) {
      return "SHA256withRSA";
    }
    throw new GeneralSecurityException(
        "certificate signature algorithm " + oid + " is not supported");
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] out = new byte[a.length + b.length];
    System.arraycopy(a, 0, out, 0, a.length);
    System.arraycopy(b, 0, out, a.length, b.length);
    return out;
  }
}
