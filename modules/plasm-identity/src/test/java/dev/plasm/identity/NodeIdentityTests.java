package dev.plasm.identity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.KeyFactory;
import java.security.Signature;
import java.security.spec.X509EncodedKeySpec;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeIdentityTests {
  @TempDir Path home;

  @Test
  void isCreatedOnceWithOwnerOnlyPermissionsAndReloaded() throws Exception {
    NodeIdentity a = NodeIdentity.loadOrCreate(home.resolve("plasm"));
    Path file = home.resolve("plasm/identity.key");
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(file)));
    assertEquals(
        "rwx------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(file.getParent())));
    assertEquals(68, Files.size(file));
    NodeIdentity b = NodeIdentity.loadOrCreate(home.resolve("plasm"));
    assertEquals(a.peerId(), b.peerId());
    assertEquals(a.publicKey(), b.publicKey());
    assertArrayEquals(Files.readAllBytes(file), b.encodePrivateKey());
    assertTrue(a.peerId().toString().startsWith("12D3KooW"), a.peerId().toString());
  }

  @Test
  void aKeyReadableByOthersIsRefusedWithTheFix() throws Exception {
    NodeIdentity.loadOrCreate(home);
    Path file = home.resolve(NodeIdentity.FILE_NAME);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-r--r--"));
    var e = assertThrows(IdentityException.class, () -> NodeIdentity.loadOrCreate(home));
    assertTrue(
        e.getMessage().contains("accessible to other users")
            && e.getMessage().contains("chmod 600 " + file),
        e.getMessage());
  }

  @Test
  void aCorruptKeyIsRefused() throws Exception {
    Files.write(home.resolve(NodeIdentity.FILE_NAME), new byte[10]);
    Files.setPosixFilePermissions(
        home.resolve(NodeIdentity.FILE_NAME), PosixFilePermissions.fromString("rw-------"));
    var e = assertThrows(IdentityException.class, () -> NodeIdentity.loadOrCreate(home));
    assertTrue(e.getMessage().contains("not an Ed25519 libp2p private key"), e.getMessage());
  }

  @Test
  void aKeyFileWhosePublicHalfDoesNotMatchItsSeedIsRefused() throws Exception {
    byte[] key = NodeIdentity.ephemeral().encodePrivateKey();
    key[key.length - 1] ^= 1;
    Path file = home.resolve(NodeIdentity.FILE_NAME);
    Files.write(file, key);
    Files.setPosixFilePermissions(file, PosixFilePermissions.fromString("rw-------"));
    var e = assertThrows(IdentityException.class, () -> NodeIdentity.loadOrCreate(home));
    assertTrue(
        e.getMessage().contains("does not match its seed")
            && e.getMessage().contains("move it away"),
        e.getMessage());
  }

  @Test
  void peerIdsRoundTripAndCarryTheKey() {
    NodeIdentity id = NodeIdentity.ephemeral();
    PeerId parsed = PeerId.parse(id.peerId().toString());
    assertEquals(id.peerId(), parsed);
    assertEquals(id.publicKey(), parsed.embeddedPublicKey().orElseThrow());
    // A sha2-256 peer id (RSA keys) parses but carries no key.
    PeerId qm = PeerId.parse("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N");
    assertTrue(qm.embeddedPublicKey().isEmpty());
    assertThrows(IllegalArgumentException.class, () -> PeerId.parse("12D3KooW0OIl"));
    assertThrows(IllegalArgumentException.class, () -> PeerId.parse("abc"));
  }

  @Test
  void signaturesVerifyWithTheJdkToo() throws Exception {
    NodeIdentity id = NodeIdentity.ephemeral();
    byte[] msg = "receipt".getBytes();
    byte[] sig = id.sign(msg);
    assertTrue(Ed25519Keys.verify(id.publicKey().data(), msg, sig));
    byte[] spki =
        HexFormat.of()
            .parseHex("302a300506032b6570032100" + HexFormat.of().formatHex(id.publicKey().data()));
    Signature v = Signature.getInstance("Ed25519");
    v.initVerify(KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki)));
    v.update(msg);
    assertTrue(v.verify(sig));
  }

  @Test
  void signingWithTheKnownPublicKeyGivesTheSameSignatureAsDerivingIt() {
    byte[] seed = new byte[32];
    new java.security.SecureRandom().nextBytes(seed);
    byte[] msg = "receipt".getBytes();
    // Ed25519 is deterministic, so the shortcut must give the very same bytes.
    assertArrayEquals(Ed25519Keys.sign(seed, msg), NodeIdentity.fromSeed(seed).sign(msg));
  }

  @Test
  void theSmallOrderForgeryTheJdkAcceptsIsRefused() throws Exception {
    byte[] smallOrderKey = new byte[32];
    smallOrderKey[0] = 1; // the identity point
    byte[] forged = new byte[64];
    forged[0] = 1; // R = identity, S = 0
    byte[] msg = "any message at all".getBytes();
    byte[] spki =
        HexFormat.of()
            .parseHex("302a300506032b6570032100" + HexFormat.of().formatHex(smallOrderKey));
    Signature jdk = Signature.getInstance("Ed25519");
    jdk.initVerify(KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki)));
    jdk.update(msg);
    assertTrue(
        jdk.verify(forged),
        "the JDK accepts the forgery: this is why Plasm does not use it to verify");
    assertFalse(Ed25519Keys.verify(smallOrderKey, msg, forged));
    assertTrue(Ed25519Keys.publicKeyProblem(smallOrderKey).contains("small-order"));
  }

  @Test
  void nonCanonicalSignaturesAreRefused() {
    NodeIdentity id = NodeIdentity.ephemeral();
    byte[] msg = "m".getBytes();
    byte[] sig = id.sign(msg);
    // S + L is the same scalar mod L but not canonical (RFC 8032 §5.1.7 requires S < L).
    byte[] l =
        HexFormat.of().parseHex("edd3f55c1a631258d69cf7a2def9de1400000000000000000000000000000010");
    byte[] s2 = sig.clone();
    int carry = 0;
    for (int i = 0; i < 32; i++) {
      int v = (s2[32 + i] & 0xff) + (l[i] & 0xff) + carry;
      s2[32 + i] = (byte) v;
      carry = v >> 8;
    }
    assertTrue(Ed25519Keys.verify(id.publicKey().data(), msg, sig));
    assertFalse(Ed25519Keys.verify(id.publicKey().data(), msg, s2));
    assertFalse(Ed25519Keys.verify(id.publicKey().data(), msg, java.util.Arrays.copyOf(sig, 63)));
  }
}
