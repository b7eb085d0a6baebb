package dev.plasm.identity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;
import org.bouncycastle.asn1.ASN1EncodableVector;
import org.bouncycastle.asn1.ASN1Encoding;
import org.bouncycastle.asn1.ASN1Integer;
import org.bouncycastle.asn1.DERSequence;
import org.bouncycastle.asn1.x9.X9ECParameters;
import org.bouncycastle.crypto.digests.SHA256Digest;
import org.bouncycastle.crypto.ec.CustomNamedCurves;
import org.bouncycastle.crypto.params.ECDomainParameters;
import org.bouncycastle.crypto.params.ECPrivateKeyParameters;
import org.bouncycastle.crypto.signers.ECDSASigner;
import org.bouncycastle.crypto.signers.HMacDSAKCalculator;
import org.junit.jupiter.api.Test;

/**
 * Keys and peer ids against the test vectors of the libp2p peer-ids spec (its Ed25519, ECDSA,
 * secp256k1 and RSA keys, and its CID example) and RFC 8032; the peer-id strings were
 * cross-checked with js-libp2p's @libp2p/peer-id 6.0.15.
 */
class KeysAndPeerIdsTests {
  private static final HexFormat HEX = HexFormat.of();
  private static final String ED_PRIVATE =
      "080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
  private static final String ED_PUBLIC =
      "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
  private static final String ED_PEER_ID = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq";
  private static final String ED_CID =
      "bafzaajaiaejcahwr5d5ofrfbis4l5d6uwr57hu5tjodrypfm6yaq6dsc2r2pzyt6";
  private static final String ECDSA_PRIVATE =
      "08031279307702010104203e5b1fe9712e6c314942a750bd67485de3c1efe85b1bfb520ae8f9ae3dfa4a4ca00a06082a8648ce3d030107a14403420004de3d300fa36ae0e8f5d530899d83abab44abf3161f162a4bc901d8e6ecda020e8b6d5f8da30525e71d6851510c098e5c47c646a597fb4dcec034e9f77c409e62";
  private static final String ECDSA_PUBLIC =
      "0803125b3059301306072a8648ce3d020106082a8648ce3d03010703420004de3d300fa36ae0e8f5d530899d83abab44abf3161f162a4bc901d8e6ecda020e8b6d5f8da30525e71d6851510c098e5c47c646a597fb4dcec034e9f77c409e62";
  private static final String SECP_PRIVATE =
      "0802122053dadf1d5a164d6b4acdb15e24aa4c5b1d3461bdbd42abedb0a4404d56ced8fb";
  private static final String SECP_PUBLIC =
      "08021221037777e994e452c21604f91de093ce415f5432f701dd8cd1a7a6fea0e630bfca99";
  private static final String SECP_PEER_ID =
      "16Uiu2HAmLhLvBoYaoZfaMUKuibM6ac163GwKY74c5kiSLg5KvLpY";
  private static final byte[] MESSAGE = "libp2p-tls-handshake:".getBytes(StandardCharsets.US_ASCII);

  @Test
  void ed25519SeedGivesTheRfc8032PublicKeyAndSignature() {
    // RFC 8032 §7.1, TEST 1 (empty message).
    NodeIdentity k =
        NodeIdentity.fromSeed(
            HEX.parseHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
    assertEquals(
        "d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a",
        HEX.formatHex(k.publicKey().data()));
    byte[] sig = k.sign(new byte[0]);
    assertEquals(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        HEX.formatHex(sig));
    assertTrue(k.publicKey().verify(new byte[0], sig));
    sig[0] ^= 1;
    assertFalse(k.publicKey().verify(new byte[0], sig));
    assertFalse(k.publicKey().verify(new byte[0], new byte[3]));
    assertFalse(k.publicKey().verify(new byte[0], null));
  }

  @Test
  void ed25519SpecVectorRoundTripsToItsPeerIdInBothTextForms() {
    NodeIdentity k = NodeIdentity.decodePrivateKey(HEX.parseHex(ED_PRIVATE));
    assertEquals(ED_PUBLIC, HEX.formatHex(k.publicKey().encode()));
    assertEquals(ED_PRIVATE, HEX.formatHex(k.encodePrivateKey()));
    assertEquals(ED_PEER_ID, k.peerId().toString());
    assertEquals(ED_CID, k.peerId().toCidString());
    assertEquals(k.peerId(), PeerId.parse(ED_CID));
    assertEquals(k.peerId(), PeerId.parse(ED_CID.toUpperCase()));
    assertEquals(k.publicKey(), PeerPublicKey.decode(HEX.parseHex(ED_PUBLIC)));
    assertEquals(k.publicKey(), PeerId.parse(ED_PEER_ID).embeddedPublicKey().orElseThrow());
    assertTrue(PeerId.parse(ED_PEER_ID).matches(k.publicKey()));
    assertEquals(PeerId.ofEd25519(k.publicKey().data()), k.peerId());
    // The identity multihash: 00 24, then the 36-byte PublicKey.
    assertEquals("0024" + ED_PUBLIC, HEX.formatHex(k.peerId().toBytes()));
  }

  @Test
  void ed25519PrivateKeysComeInThreeFormsAndTheirPublicHalvesMustMatch() {
    String seed = ED_PRIVATE.substring(8, 72);
    String pub = ED_PUBLIC.substring(8);
    assertEquals(
        ED_PEER_ID,
        NodeIdentity.decodePrivateKey(HEX.parseHex("08011220" + seed)).peerId().toString());
    assertEquals(
        ED_PEER_ID,
        NodeIdentity.decodePrivateKey(HEX.parseHex("08011260" + seed + pub + pub))
            .peerId()
            .toString());
    byte[] bad = HEX.parseHex(ED_PRIVATE);
    bad[bad.length - 1] ^= 1;
    var e = assertThrows(KeyFormatException.class, () -> NodeIdentity.decodePrivateKey(bad));
    assertTrue(e.getMessage().contains("does not match its seed"), e.getMessage());
    assertThrows(
        KeyFormatException.class,
        () -> NodeIdentity.decodePrivateKey(HEX.parseHex("08011210" + seed.substring(0, 32))));
    // Only Ed25519 can be a node identity; another type is refused by name.
    var u =
        assertThrows(
            UnsupportedKeyTypeException.class,
            () -> NodeIdentity.decodePrivateKey(HEX.parseHex(SECP_PRIVATE)));
    assertTrue(u.getMessage().contains("SECP256K1"), u.getMessage());
  }

  @Test
  void generatedIdentitiesAreDistinctAndSelfConsistent() {
    NodeIdentity a = NodeIdentity.ephemeral();
    NodeIdentity b = NodeIdentity.ephemeral();
    assertNotEquals(a.peerId(), b.peerId());
    assertTrue(a.peerId().toString().startsWith("12D3KooW"));
    assertEquals(a.peerId(), NodeIdentity.fromSeed(a.privateKeySeed()).peerId());
    assertEquals(a.peerId(), NodeIdentity.decodePrivateKey(a.encodePrivateKey()).peerId());
    assertEquals(a.peerId(), PeerId.parse(a.peerId().toString()));
    assertEquals(a.peerId(), PeerId.parse(a.peerId().toCidString()));
    assertEquals(a.peerId(), PeerId.fromBytes(a.peerId().toBytes()));
    assertTrue(a.publicKey().verify(MESSAGE, a.sign(MESSAGE)));
    assertFalse(b.publicKey().verify(MESSAGE, a.sign(MESSAGE)));
  }

  @Test
  void rsaSpecVectorIsHashedAndTheJdksSignaturesVerify() throws Exception {
    PeerPublicKey pub = PeerPublicKey.decode(HEX.parseHex(RsaVector.PUBLIC));
    assertEquals(KeyType.RSA, pub.type());
    assertEquals(RsaVector.PUBLIC, HEX.formatHex(pub.encode()));
    PeerId id = pub.peerId();
    assertTrue(id.toString().startsWith("Qm"), id.toString());
    assertArrayEquals(Multihash.sha256(HEX.parseHex(RsaVector.PUBLIC)), id.toBytes());
    assertTrue(id.embeddedPublicKey().isEmpty());
    assertTrue(id.matches(pub));

    // The private vector's data is PKCS#1; wrap it as PKCS#8 for the JDK and sign with it.
    byte[] privateKey = HEX.parseHex(RsaVector.PRIVATE);
    byte[] pkcs1 = Arrays.copyOfRange(privateKey, 5, privateKey.length);
    byte[] pkcs8 =
        der(
            0x30,
            concat(
                HEX.parseHex("020100"),
                HEX.parseHex("300d06092a864886f70d0101010500"),
                der(0x04, pkcs1)));
    Signature s = Signature.getInstance("SHA256withRSA");
    s.initSign(KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pkcs8)));
    s.update(MESSAGE);
    byte[] sig = s.sign();
    assertTrue(pub.verify(MESSAGE, sig));
    assertFalse(pub.verify("other".getBytes(StandardCharsets.US_ASCII), sig));
  }

  @Test
  void shortRsaKeysAreRefused() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(1024);
    byte[] der = g.generateKeyPair().getPublic().getEncoded();
    var e = assertThrows(KeyFormatException.class, () -> PeerPublicKey.of(KeyType.RSA, der));
    assertTrue(e.getMessage().contains("1024 bits"), e.getMessage());
  }

  @Test
  void ecdsaSpecVectorsArePairedAndBouncyCastleSignaturesVerify() throws Exception {
    PeerPublicKey pub = PeerPublicKey.decode(HEX.parseHex(ECDSA_PUBLIC));
    assertEquals(KeyType.ECDSA, pub.type());
    assertEquals(ECDSA_PUBLIC, HEX.formatHex(pub.encode()));
    assertArrayEquals(Multihash.sha256(HEX.parseHex(ECDSA_PUBLIC)), pub.peerId().toBytes());
    // The private vector's data is a SEC1 ECPrivateKey; its 32-byte scalar follows 04 20 (bytes
    // 11-42).
    BigInteger d = new BigInteger(1, Arrays.copyOfRange(HEX.parseHex(ECDSA_PRIVATE), 11, 43));
    X9ECParameters p256 = CustomNamedCurves.getByName("secp256r1");
    String point = HEX.formatHex(p256.getG().multiply(d).normalize().getEncoded(false));
    assertTrue(
        ECDSA_PUBLIC.endsWith(point), "the spec's private and public ECDSA vectors are one key");

    byte[] sig = bouncyCastleSignature(p256, d, MESSAGE);
    assertTrue(pub.verify(MESSAGE, sig));
    assertFalse(pub.verify("other".getBytes(StandardCharsets.US_ASCII), sig));
    assertFalse(pub.verify(MESSAGE, new byte[] {0x30, 0x01}));

    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp384r1"));
    byte[] p384 = g.generateKeyPair().getPublic().getEncoded();
    assertThrows(UnsupportedKeyTypeException.class, () -> PeerPublicKey.of(KeyType.ECDSA, p384));
  }

  @Test
  void secp256k1SpecVectorsAreEmbeddedInTheirPeerIdAndVerifyOnBouncyCastle() {
    PeerPublicKey pub = PeerPublicKey.decode(HEX.parseHex(SECP_PUBLIC));
    assertEquals(KeyType.SECP256K1, pub.type());
    assertEquals(SECP_PUBLIC, HEX.formatHex(pub.encode()));
    assertEquals(SECP_PEER_ID, pub.peerId().toString());
    PeerId id = PeerId.parse(SECP_PEER_ID);
    assertEquals("0025" + SECP_PUBLIC, HEX.formatHex(id.toBytes()));
    assertEquals(pub, id.embeddedPublicKey().orElseThrow());

    X9ECParameters k1 = CustomNamedCurves.getByName("secp256k1");
    BigInteger d = new BigInteger(1, Arrays.copyOfRange(HEX.parseHex(SECP_PRIVATE), 4, 36));
    var q = k1.getG().multiply(d).normalize();
    assertEquals(
        SECP_PUBLIC.substring(8),
        HEX.formatHex(q.getEncoded(true)),
        "the spec's secp256k1 vectors are one key");
    // An uncompressed point is the same key, kept compressed as go- and js-libp2p encode it.
    PeerPublicKey uncompressed = PeerPublicKey.of(KeyType.SECP256K1, q.getEncoded(false));
    assertEquals(pub, uncompressed);
    assertEquals(id, uncompressed.peerId());

    byte[] sig = bouncyCastleSignature(k1, d, MESSAGE);
    assertTrue(pub.verify(MESSAGE, sig));
    assertFalse(pub.verify("other".getBytes(StandardCharsets.US_ASCII), sig));
    // The same signature with a byte after the DER sequence, or with r in a longer encoding, is
    // refused.
    assertFalse(pub.verify(MESSAGE, concat(sig, new byte[] {0})));
    assertFalse(pub.verify(MESSAGE, new byte[] {0x30, 0x00}));
    assertFalse(pub.verify(MESSAGE, Arrays.copyOf(sig, sig.length - 1)));

    // A point whose x is not below the field prime, and one with an unknown prefix byte.
    assertThrows(
        KeyFormatException.class,
        () -> PeerPublicKey.of(KeyType.SECP256K1, HEX.parseHex("02" + "ff".repeat(32))));
    assertThrows(
        KeyFormatException.class,
        () -> PeerPublicKey.of(KeyType.SECP256K1, HEX.parseHex("05" + SECP_PUBLIC.substring(10))));
    // An uncompressed point off the curve (y + 1).
    byte[] offCurve = q.getEncoded(false);
    offCurve[64] ^= 1;
    assertThrows(KeyFormatException.class, () -> PeerPublicKey.of(KeyType.SECP256K1, offCurve));
    var e =
        assertThrows(
            KeyFormatException.class, () -> PeerPublicKey.of(KeyType.SECP256K1, new byte[32]));
    assertTrue(e.getMessage().contains("33-byte"), e.getMessage());
  }

  @Test
  void smallOrderEd25519KeysAreRefused() {
    // The identity point as a key: with R = identity and S = 0 every message "verifies" under the
    // JDK's Ed25519; a peer must not be able to present such a key.
    byte[] smallOrder = new byte[32];
    smallOrder[0] = 1;
    var e = assertThrows(KeyFormatException.class, () -> PeerPublicKey.ed25519(smallOrder));
    assertTrue(e.getMessage().contains("small-order"), e.getMessage());
    assertThrows(KeyFormatException.class, () -> PeerId.ofEd25519(smallOrder).embeddedPublicKey());
    // Signatures are checked by Ed25519Keys (non-canonical S refused: NodeIdentityTests).
    NodeIdentity kp = NodeIdentity.ephemeral();
    assertTrue(kp.publicKey().verify(MESSAGE, kp.sign(MESSAGE)));
  }

  @Test
  void cidPeerIdsParseInBase32AndBase58() {
    // The example of the peer-ids spec's "String representation" (its base58 form from js-libp2p).
    PeerId id = PeerId.parse("bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe");
    assertEquals("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N", id.toString());
    assertEquals("bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe", id.toCidString());
    assertEquals(
        "12209dff3b17d74cf4d38a50d8b6383e92d181a10395a5e73a726dcccbd21bf6f0b9",
        HEX.formatHex(id.toBytes()));
    assertEquals(
        id, PeerId.parse("z" + Base58.encode(HEX.parseHex("0172" + HEX.formatHex(id.toBytes())))));
  }

  @Test
  void malformedPeerIdsAreRefusedWithTheReason() {
    String[][] cases = {
      {"", "empty"},
      {"12D3KooW0", "base58btc character"},
      {"xyz", "expected base58btc"},
      // A CIDv1 with the dag-pb codec (0x70) instead of libp2p-key.
      {"bafybeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe", "libp2p-key"},
      // A CIDv0-style version byte.
      {"b" + Base32.encode(HEX.parseHex("0072" + "1220" + "ab".repeat(32))), "CID version 0"},
      // An identity multihash of 43 bytes: too long to be a peer id.
      {Base58.encode(HEX.parseHex("002b" + "00".repeat(43))), "at most 42"},
      // A multihash function other than identity and sha2-256 (sha2-512).
      {
        "z" + Base58.encode(HEX.parseHex("0172" + "1340" + "ab".repeat(64))),
        "unsupported multihash function 0x13"
      },
    };
    for (String[] c : cases) {
      var e = assertThrows(IllegalArgumentException.class, () -> PeerId.parse(c[0]), c[0]);
      assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
      if (!c[0].isEmpty()) {
        assertTrue(e.getMessage().contains(c[0]), "the error quotes the text: " + e.getMessage());
      }
    }
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () -> PeerId.fromBytes(HEX.parseHex("1220" + "ab".repeat(31))));
    assertTrue(e.getMessage().contains("32 digest bytes"), e.getMessage());
  }

  @Test
  void malformedPublicKeyProtobufsAreRefusedClearly() {
    String[][] cases = {
      {"0801", "lacks its required Data"},
      {"1220" + ED_PUBLIC.substring(8), "lacks its required Type"},
      {"08011203010203", "32 bytes"},
      {"0801122001", "declared"},
      {"08", "truncated varint"},
      {"0a0101", "wire type"},
      {"0f", "wire type 7"},
    };
    for (String[] c : cases) {
      var e =
          assertThrows(
              KeyFormatException.class, () -> PeerPublicKey.decode(HEX.parseHex(c[0])), c[0]);
      assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
    }
    var u =
        assertThrows(
            UnsupportedKeyTypeException.class,
            () -> PeerPublicKey.decode(HEX.parseHex("08091200")));
    assertTrue(u.getMessage().contains("unknown libp2p key type 9"), u.getMessage());
  }

  @Test
  void unknownFieldsAreSkippedAndThePeerIdComesFromTheDeterministicEncoding() {
    // Field 3 (bytes, empty) and field 4 (fixed32) after the key, and the fields in reverse order.
    String data = ED_PUBLIC.substring(4);
    PeerPublicKey k = PeerPublicKey.decode(HEX.parseHex(data + "0801" + "1a00" + "2501020304"));
    assertEquals(ED_PUBLIC, HEX.formatHex(k.encode()));
    assertEquals(ED_PEER_ID, k.peerId().toString());
  }

  private static byte[] bouncyCastleSignature(X9ECParameters curve, BigInteger d, byte[] message) {
    ECDSASigner signer = new ECDSASigner(new HMacDSAKCalculator(new SHA256Digest()));
    signer.init(true, new ECPrivateKeyParameters(d, new ECDomainParameters(curve)));
    BigInteger[] rs = signer.generateSignature(Multihash.sha256Digest(message));
    ASN1EncodableVector v = new ASN1EncodableVector();
    v.add(new ASN1Integer(rs[0]));
    v.add(new ASN1Integer(rs[1]));
    try {
      return new DERSequence(v).getEncoded(ASN1Encoding.DER);
    } catch (java.io.IOException e) {
      throw new AssertionError(e);
    }
  }

  private static byte[] der(int tag, byte[] content) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.write(tag);
    int n = content.length;
    if (n < 128) {
      out.write(n);
    } else {
      byte[] len = BigInteger.valueOf(n).toByteArray();
      int skip = len[0] == 0 ? 1 : 0;
      out.write(0x80 | (len.length - skip));
      out.write(len, skip, len.length - skip);
    }
    out.writeBytes(content);
    return out.toByteArray();
  }

  private static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      out.writeBytes(p);
    }
    return out.toByteArray();
  }
}
