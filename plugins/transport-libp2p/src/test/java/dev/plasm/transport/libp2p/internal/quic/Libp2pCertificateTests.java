package dev.plasm.transport.libp2p.internal.quic;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.identity.KeyType;
import dev.plasm.identity.NodeIdentity;
import dev.plasm.identity.PeerPublicKey;
import dev.plasm.transport.libp2p.HandshakeException;
import java.io.ByteArrayInputStream;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import org.bouncycastle.asn1.ASN1ObjectIdentifier;
import org.bouncycastle.asn1.DEROctetString;
import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.asn1.x509.Extension;
import org.junit.jupiter.api.Test;

/** The libp2p TLS certificate (tls/tls.md): ours, rust-libp2p's, and the ways one can be wrong. */
class Libp2pCertificateTests {
  /**
   * The certificate a js-libp2p 3.3.11 peer presented over @chainsafe/libp2p-quic 2.1.1 (rust
   * libp2p-tls): empty issuer and subject, valid 1975 to 4096, the libp2p extension critical.
   */
  private static final byte[] JS_QUIC_CERTIFICATE =
      HexFormat.of()
          .parseHex(
              "3082018230820129a003020102021450ec7410eba942d5aa94d0282b89ac6ac3a06821300a06082a8648ce3d040302300030"
                  + "20170d3735303130313030303030305a180f34303936303130313030303030305a30003059301306072a8648ce3d02010608"
                  + "2a8648ce3d03010703420004fa6bd78aa7503694c44c666eb99165d02f9717d6530077224b649562ee21fe8c8443aa901cc7"
                  + "3bb15f5df77a82bf3a946b984da73e1e491e4f9c3908560bfe9da37f307d307b060a2b0601040183a25a01010101ff046a30"
                  + "68042408011220a14c924d9ee0fee5e1fd6745e721b86a8822f17d020100eebe114fc0fa49be5604400105aba8a8118f5535"
                  + "cbb5b29d7864368dc7bc0410b3f9bd04197d93c17e462353691c239f62b16d5c31e3211b3fd05f1b1b058bfa20f832f98919"
                  + "5ca0fda609300a06082a8648ce3d040302034700304402207cca59dcd7838a1424204950f73aa708d8970289bcf198871778"
                  + "6b0c71c588d0022023dce1beba8dbbb1ca81caa4a4208d1fb7b0c5f6792669d07848513113fa0cc7");

  private static final Instant NOW = Instant.parse("2026-12-01T00:00:00Z");
  private static final X500Name NAME = new X500Name("CN=test");

  @Test
  void rustLibp2pCertificateWithEmptyNamesVerifies() throws Exception {
    PeerPublicKey key = Libp2pCertificate.verify(JS_QUIC_CERTIFICATE, NOW);
    assertEquals(KeyType.ED25519, key.type());
    assertTrue(key.peerId().toString().startsWith("12D3KooW"), key.peerId().toString());
    // Why the certificate is read field by field: the JDK refuses it outright.
    CertificateException jdk =
        assertThrows(
            CertificateException.class,
            () ->
                CertificateFactory.getInstance("X.509")
                    .generateCertificate(new ByteArrayInputStream(JS_QUIC_CERTIFICATE)));
    assertTrue(jdk.getMessage().contains("Empty issuer DN"), jdk.getMessage());
  }

  @Test
  void ourCertificateCarriesOurKeyAndTheJdkReadsIt() throws Exception {
    NodeIdentity id = NodeIdentity.ephemeral();
    Libp2pCertificate c = Libp2pCertificate.create(id, Duration.ofDays(1));
    assertEquals(
        id.publicKey(), Libp2pCertificate.verify(c.certificate().getEncoded(), Instant.now()));
    assertEquals(
        id.publicKey(),
        Libp2pCertificate.verify(
            new java.security.cert.Certificate[] {c.certificate()}, Instant.now()));
  }

  @Test
  void aChangedByteBreaksTheSelfSignature() {
    byte[] bad = JS_QUIC_CERTIFICATE.clone();
    bad[200] ^= 1; // inside the public key of the certificate
    HandshakeException e =
        assertThrows(HandshakeException.class, () -> Libp2pCertificate.verify(bad, NOW));
    assertTrue(e.getMessage().contains("self-signature"), e.getMessage());
  }

  @Test
  void expiredAndNotYetValidCertificatesAreRefused() throws Exception {
    KeyPair k = certKey();
    NodeIdentity id = NodeIdentity.ephemeral();
    byte[] expired =
        Libp2pCertificate.der(
            k,
            NOW.minus(Duration.ofDays(2)),
            NOW.minus(Duration.ofDays(1)),
            NAME,
            Libp2pCertificate.signedKeyExtension(id, k.getPublic().getEncoded()));
    HandshakeException e =
        assertThrows(HandshakeException.class, () -> Libp2pCertificate.verify(expired, NOW));
    assertTrue(e.getMessage().contains("not now"), e.getMessage());
    byte[] future =
        Libp2pCertificate.der(
            k,
            NOW.plus(Duration.ofDays(1)),
            NOW.plus(Duration.ofDays(2)),
            NAME,
            Libp2pCertificate.signedKeyExtension(id, k.getPublic().getEncoded()));
    assertThrows(HandshakeException.class, () -> Libp2pCertificate.verify(future, NOW));
  }

  @Test
  void aCertificateWithoutTheLibp2pExtensionIsRefused() throws Exception {
    byte[] plain =
        Libp2pCertificate.der(
            certKey(), NOW.minus(Duration.ofDays(1)), NOW.plus(Duration.ofDays(1)), NAME);
    HandshakeException e =
        assertThrows(HandshakeException.class, () -> Libp2pCertificate.verify(plain, NOW));
    assertTrue(e.getMessage().contains("no libp2p public key extension"), e.getMessage());
  }

  @Test
  void aHostKeySignatureOverAnotherCertificateKeyIsRefused() throws Exception {
    KeyPair k = certKey();
    KeyPair other = certKey();
    NodeIdentity id = NodeIdentity.ephemeral();
    // The extension of a certificate for `other`, replayed in a certificate for `k`.
    byte[] forged =
        Libp2pCertificate.der(
            k,
            NOW.minus(Duration.ofDays(1)),
            NOW.plus(Duration.ofDays(1)),
            NAME,
            Libp2pCertificate.signedKeyExtension(id, other.getPublic().getEncoded()));
    HandshakeException e =
        assertThrows(HandshakeException.class, () -> Libp2pCertificate.verify(forged, NOW));
    assertTrue(
        e.getMessage().contains("signature over the certificate key does not verify"),
        e.getMessage());
  }

  @Test
  void anUnknownCriticalExtensionIsRefusedAndAnUnknownOtherOneIgnored() throws Exception {
    KeyPair k = certKey();
    NodeIdentity id = NodeIdentity.ephemeral();
    Extension libp2p = Libp2pCertificate.signedKeyExtension(id, k.getPublic().getEncoded());
    ASN1ObjectIdentifier unknown = new ASN1ObjectIdentifier("1.2.3.4.5");
    byte[] critical =
        Libp2pCertificate.der(
            k,
            NOW.minus(Duration.ofDays(1)),
            NOW.plus(Duration.ofDays(1)),
            NAME,
            libp2p,
            new Extension(unknown, true, new DEROctetString(new byte[] {5, 0})));
    HandshakeException e =
        assertThrows(HandshakeException.class, () -> Libp2pCertificate.verify(critical, NOW));
    assertTrue(e.getMessage().contains("unknown critical extension 1.2.3.4.5"), e.getMessage());
    byte[] nonCritical =
        Libp2pCertificate.der(
            k,
            NOW.minus(Duration.ofDays(1)),
            NOW.plus(Duration.ofDays(1)),
            NAME,
            libp2p,
            new Extension(unknown, false, new DEROctetString(new byte[] {5, 0})));
    assertEquals(id.publicKey(), Libp2pCertificate.verify(nonCritical, NOW));
  }

  @Test
  void chainsOfOtherThanOneCertificateAndGarbageAreRefused() throws Exception {
    Libp2pCertificate c = Libp2pCertificate.create(NodeIdentity.ephemeral(), Duration.ofDays(1));
    assertThrows(
        HandshakeException.class,
        () ->
            Libp2pCertificate.verify(
                new java.security.cert.Certificate[] {c.certificate(), c.certificate()},
                Instant.now()));
    assertThrows(
        HandshakeException.class,
        () -> Libp2pCertificate.verify(new java.security.cert.Certificate[0], Instant.now()));
    HandshakeException e =
        assertThrows(
            HandshakeException.class,
            () -> Libp2pCertificate.verify(new byte[] {0x30, 3, 1, 2, 3}, NOW));
    assertTrue(e.getMessage().contains("not DER X.509"), e.getMessage());
    byte[] trailing = java.util.Arrays.copyOf(JS_QUIC_CERTIFICATE, JS_QUIC_CERTIFICATE.length + 1);
    assertThrows(HandshakeException.class, () -> Libp2pCertificate.verify(trailing, NOW));
    assertThrows(
        HandshakeException.class,
        () -> Libp2pCertificate.verify(new byte[Libp2pCertificate.MAX_CERTIFICATE_BYTES + 1], NOW));
  }

  @Test
  void theSignedBytesAreTheReceivedOnes() {
    byte[] tbs = Libp2pCertificate.rawFirstElement(JS_QUIC_CERTIFICATE);
    assertEquals(0x30, tbs[0] & 0xFF);
    assertArrayEquals(java.util.Arrays.copyOfRange(JS_QUIC_CERTIFICATE, 4, 4 + tbs.length), tbs);
  }

  private static KeyPair certKey() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }
}
