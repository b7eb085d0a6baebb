package dev.plasm.transport.libp2p;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.identity.Base58;
import dev.plasm.transport.libp2p.internal.codec.Multihash;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.security.KeyFactory;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * Keys and peer ids against the test vectors of libp2p/specs peer-ids.md and RFC 8032; the
 * expected peer-id strings were cross-checked with js-libp2p's @libp2p/peer-id 6.0.15.
 */
class KeysAndPeerIdsTests {
  private static final HexFormat HEX = HexFormat.of();
  private static final String ED_PRIVATE =
      "080112407e0830617c4a7de83925dfb2694556b12936c477a0e1feb2e148ec9da60fee7d1ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
  private static final String ED_PUBLIC = "080112201ed1e8fae2c4a144b8be8fd4b47bf3d3b34b871c3cacf6010f0e42d474fce27e";
  private static final String ED_PEER_ID = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq";
  private static final String ED_CID = "bafzaajaiaejcahwr5d5ofrfbis4l5d6uwr57hu5tjodrypfm6yaq6dsc2r2pzyt6";
  private static final String ECDSA_PUBLIC =
      "0803125b3059301306072a8648ce3d020106082a8648ce3d03010703420004de3d300fa36ae0e8f5d530899d83abab44abf3161f162a4bc901d8e6ecda020e8b6d5f8da30525e71d6851510c098e5c47c646a597fb4dcec034e9f77c409e62";
  private static final String SECP_PUBLIC = "08021221037777e994e452c21604f91de093ce415f5432f701dd8cd1a7a6fea0e630bfca99";
  private static final String SECP_PEER_ID = "16Uiu2HAmLhLvBoYaoZfaMUKuibM6ac163GwKY74c5kiSLg5KvLpY";

  @Test
  void ed25519SeedGivesTheRfc8032PublicKeyAndSignature() {
    // RFC 8032 §7.1, TEST 1 (empty message).
    PeerKeyPair k = PeerKeyPair.fromSeed(HEX.parseHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60"));
    assertEquals("d75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a", HEX.formatHex(k.publicKey().data()));
    byte[] sig = k.sign(new byte[0]);
    assertEquals(
        "e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b",
        HEX.formatHex(sig));
    assertTrue(k.publicKey().verify(new byte[0], sig));
    sig[0] ^= 1;
    assertFalse(k.publicKey().verify(new byte[0], sig));
    assertFalse(k.publicKey().verify(new byte[0], new byte[3]));
  }

  @Test
  void ed25519SpecVectorRoundTripsToItsPeerId() {
    PeerKeyPair k = PeerKeyPair.decodePrivateKey(HEX.parseHex(ED_PRIVATE));
    assertEquals(ED_PUBLIC, HEX.formatHex(k.publicKey().encode()));
    assertEquals(ED_PRIVATE, HEX.formatHex(k.encodePrivateKey()));
    assertEquals(ED_PEER_ID, k.peerId().toString());
    assertEquals(ED_CID, k.peerId().toCidString());
    assertEquals(k.publicKey(), PeerPublicKey.decode(HEX.parseHex(ED_PUBLIC)));
    assertEquals(k.publicKey(), PeerId.parse(ED_PEER_ID).embeddedPublicKey().orElseThrow());
    assertTrue(PeerId.parse(ED_PEER_ID).matches(k.publicKey()));
    // The identity multihash: 00 24 then the 36-byte PublicKey.
    assertEquals("0024" + ED_PUBLIC, HEX.formatHex(k.peerId().toBytes()));
  }

  @Test
  void privateKeyDataWithAMismatchedPublicHalfIsRefused() {
    byte[] bad = HEX.parseHex(ED_PRIVATE);
    bad[bad.length - 1] ^= 1;
    assertThrows(MalformedMessageException.class, () -> PeerKeyPair.decodePrivateKey(bad));
    byte[] seedOnly = HEX.parseHex("08011220" + ED_PRIVATE.substring(8, 72));
    assertEquals(ED_PEER_ID, PeerKeyPair.decodePrivateKey(seedOnly).peerId().toString());
  }

  @Test
  void generatedKeysAreDistinctAndSelfConsistent() {
    PeerKeyPair a = PeerKeyPair.generate();
    PeerKeyPair b = PeerKeyPair.generate();
    assertNotEquals(a.peerId(), b.peerId());
    assertTrue(a.peerId().toString().startsWith("12D3KooW"));
    assertEquals(a.peerId(), PeerKeyPair.fromSeed(a.seed()).peerId());
    assertEquals(a.peerId(), PeerId.parse(a.peerId().toString()));
    assertEquals(a.peerId(), PeerId.parse(a.peerId().toCidString()));
    assertEquals(a.peerId(), PeerId.fromBytes(a.peerId().toBytes()));
  }

  @Test
  void rsaSpecVectorIsHashedAndItsSignaturesVerify() throws Exception {
    PeerPublicKey pub = PeerPublicKey.decode(HEX.parseHex(RsaVector.PUBLIC));
    assertEquals(KeyType.RSA, pub.type());
    assertEquals(RsaVector.PUBLIC, HEX.formatHex(pub.encode()));
    PeerId id = pub.peerId();
    assertTrue(id.toString().startsWith("Qm"), id.toString());
    assertArrayEquals(Multihash.sha256(HEX.parseHex(RsaVector.PUBLIC)), id.toBytes());
    assertTrue(id.embeddedPublicKey().isEmpty());
    assertTrue(id.matches(pub));

    // The private vector's data is PKCS#1; wrap it as PKCS#8 for the JDK and sign with it.
    byte[] pkcs1 = Arrays.copyOfRange(HEX.parseHex(RsaVector.PRIVATE), 5, HEX.parseHex(RsaVector.PRIVATE).length);
    byte[] pkcs8 = der(0x30, concat(HEX.parseHex("020100"), HEX.parseHex("300d06092a864886f70d0101010500"), der(0x04, pkcs1)));
    var priv = KeyFactory.getInstance("RSA").generatePrivate(new PKCS8EncodedKeySpec(pkcs8));
    Signature s = Signature.getInstance("SHA256withRSA");
    s.initSign(priv);
    s.update("hello".getBytes());
    byte[] sig = s.sign();
    assertTrue(pub.verify("hello".getBytes(), sig));
    assertFalse(pub.verify("hellO".getBytes(), sig));
  }

  @Test
  void smallOrderEd25519KeysAndNonCanonicalSignaturesAreRefused() {
    // The identity point as a key: with R = identity and S = 0 every message "verifies" under the
    // JDK's Ed25519; a peer must not be able to present such a key in its Noise payload.
    byte[] smallOrder = new byte[32];
    smallOrder[0] = 1;
    var e = assertThrows(IllegalArgumentException.class, () -> PeerPublicKey.ed25519(smallOrder));
    assertTrue(e.getMessage().contains("small-order"), e.getMessage());
    // A valid key with a signature whose S is not reduced mod L (S + L) is refused too.
    PeerKeyPair kp = PeerKeyPair.generate();
    byte[] msg = "noise-libp2p-static-key:".getBytes();
    byte[] sig = kp.sign(msg);
    assertTrue(kp.publicKey().verify(msg, sig));
    byte[] malleable = sig.clone();
    java.math.BigInteger l = java.math.BigInteger.TWO.pow(252).add(new java.math.BigInteger("27742317777372353535851937790883648493"));
    byte[] sLe = java.util.Arrays.copyOfRange(malleable, 32, 64);
    byte[] sBe = new byte[32];
    for (int i = 0; i < 32; i++) {
      sBe[i] = sLe[31 - i];
    }
    byte[] sum = new java.math.BigInteger(1, sBe).add(l).toByteArray();
    byte[] sumLe = new byte[32];
    for (int i = 0; i < Math.min(32, sum.length); i++) {
      sumLe[i] = sum[sum.length - 1 - i];
    }
    System.arraycopy(sumLe, 0, malleable, 32, 32);
    assertFalse(kp.publicKey().verify(msg, malleable));
  }

  @Test
  void shortRsaKeysAreRefused() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("RSA");
    g.initialize(1024);
    byte[] der = g.generateKeyPair().getPublic().getEncoded();
    var e = assertThrows(IllegalArgumentException.class, () -> PeerPublicKey.of(KeyType.RSA, der));
    assertTrue(e.getMessage().contains("1024 bits"), e.getMessage());
  }

  @Test
  void ecdsaP256SpecVectorDecodesAndSignaturesVerify() throws Exception {
    PeerPublicKey vector = PeerPublicKey.decode(HEX.parseHex(ECDSA_PUBLIC));
    assertEquals(KeyType.ECDSA, vector.type());
    assertArrayEquals(Multihash.sha256(HEX.parseHex(ECDSA_PUBLIC)), vector.peerId().toBytes());

    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    KeyPair kp = g.generateKeyPair();
    PeerPublicKey pub = PeerPublicKey.of(KeyType.ECDSA, kp.getPublic().getEncoded());
    Signature s = Signature.getInstance("SHA256withECDSA");
    s.initSign(kp.getPrivate());
    s.update(new byte[] {1, 2, 3});
    byte[] sig = s.sign();
    assertTrue(pub.verify(new byte[] {1, 2, 3}, sig));
    assertFalse(pub.verify(new byte[] {1, 2, 4}, sig));
    assertFalse(pub.verify(new byte[] {1, 2, 3}, new byte[] {0x30, 0x01}));

    g.initialize(new ECGenParameterSpec("secp384r1"));
    byte[] p384 = g.generateKeyPair().getPublic().getEncoded();
    assertThrows(UnsupportedKeyTypeException.class, () -> PeerPublicKey.of(KeyType.ECDSA, p384));
  }

  @Test
  void secp256k1IsRefusedClearlyButItsPeerIdStillParses() {
    var e = assertThrows(UnsupportedKeyTypeException.class, () -> PeerPublicKey.decode(HEX.parseHex(SECP_PUBLIC)));
    assertTrue(e.getMessage().contains("secp256k1"), e.getMessage());
    PeerId id = PeerId.parse(SECP_PEER_ID);
    assertEquals("0025" + SECP_PUBLIC, HEX.formatHex(id.toBytes()));
    assertThrows(UnsupportedKeyTypeException.class, id::embeddedPublicKey);
  }

  @Test
  void cidPeerIdsParse() {
    // The example of peer-ids.md §String representation (its base58 form from js-libp2p).
    PeerId id = PeerId.parse("bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe");
    assertEquals("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N", id.toString());
    assertEquals("12209dff3b17d74cf4d38a50d8b6383e92d181a10395a5e73a726dcccbd21bf6f0b9", HEX.formatHex(id.toBytes()));
    assertEquals(id, PeerId.parse("z" + Base58.encode(HEX.parseHex("0172" + HEX.formatHex(id.toBytes())))));
  }

  @Test
  void malformedPeerIdsAreRefusedWithTheReason() {
    String[][] cases = {
      {"", "empty"},
      {"12D3KooW0", "base58btc character"},
      {"xyz", "expected base58btc"},
      // A CIDv1 with the dag-pb codec (0x70) instead of libp2p-key.
      {"bafybeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe", "libp2p-key"},
      // An identity multihash of 43 bytes: too long to be a peer id.
      {Base58.encode(HEX.parseHex("002b" + "00".repeat(43))), "at most 42"},
    };
    for (String[] c : cases) {
      var e = assertThrows(IllegalArgumentException.class, () -> PeerId.parse(c[0]), c[0]);
      assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
    }
    var e = assertThrows(IllegalArgumentException.class, () -> PeerId.fromBytes(HEX.parseHex("1220" + "ab".repeat(31))));
    assertTrue(e.getMessage().contains("32 digest bytes"), e.getMessage());
    assertThrows(MalformedMessageException.class, () -> PeerPublicKey.decode(HEX.parseHex("0801")));
    assertThrows(MalformedMessageException.class, () -> PeerPublicKey.decode(HEX.parseHex("08011203010203")));
    assertThrows(UnsupportedKeyTypeException.class, () -> PeerPublicKey.decode(HEX.parseHex("08091200")));
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
