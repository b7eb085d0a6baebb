package dev.plasm.transport.libp2p.internal.noise;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.identity.KeyType;
import dev.plasm.identity.NodeIdentity;
import dev.plasm.identity.PeerId;
import dev.plasm.identity.UnsupportedKeyTypeException;
import dev.plasm.transport.libp2p.HandshakeException;
import dev.plasm.transport.libp2p.PeerIdMismatchException;
import dev.plasm.transport.libp2p.internal.crypto.X25519;
import dev.plasm.transport.libp2p.testing.SocketPair;
import java.io.BufferedInputStream;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Noise XX against the cacophony test vectors, then the libp2p handshake Java to Java. */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class NoiseTests {
  private static final HexFormat HEX = HexFormat.of();

  /** The Noise_XX_25519_ChaChaPoly_SHA256 vector of cacophony's vectors/cacophony.txt. */
  @Test
  void matchesTheCacophonyTestVector() throws Exception {
    byte[] prologue = HEX.parseHex("4a6f686e2047616c74");
    KeyPair is =
        X25519.fromPrivate(
            HEX.parseHex("e61ef9919cde45dd5f82166404bd08e38bceb5dfdfded0a34c8df7ed542214d1"));
    KeyPair ie =
        X25519.fromPrivate(
            HEX.parseHex("893e28b9dc6ca8d611ab664754b8ceb7bac5117349a4439a6b0569da977c464a"));
    KeyPair rs =
        X25519.fromPrivate(
            HEX.parseHex("4a3acbfdb163dec651dfa3194dece676d437029c62a408b4c5ea9114246e4893"));
    KeyPair re =
        X25519.fromPrivate(
            HEX.parseHex("bbdb4cdbd309f1a1f2e1456967fe288cadd6f712d65dc7b7793d5e63da6b375b"));
    String[][] messages = {
      {
        "4c756477696720766f6e204d69736573",
        "ca35def5ae56cec33dc2036731ab14896bc4c75dbb07a61f879f8e3afa4c79444c756477696720766f6e204d69736573"
      },
      {
        "4d757272617920526f746862617264",
        "95ebc60d2b1fa672c1f46a8aa265ef51bfe38e7ccb39ec5be34069f14480884381cbad1f276e038c48378ffce2b65285e08d6b68aaa3629a5a8639392490e5b9bd5269c2f1e4f488ed8831161f19b7815528f8982ffe09be9b5c412f8a0db50f8814c7194e83f23dbd8d162c9326ad"
      },
      {
        "462e20412e20486179656b",
        "c7195ffacac1307ff99046f219750fc47693e23c3cb08b89c2af808b444850a80ae475b9df0f169ae80a89be0865b57f58c9fea0d4ec82a286427402f113e4b6ae769a1d95941d49b25030"
      },
      {"4361726c204d656e676572", "96763ed773f8e47bb3712f0e29b3060ffc956ffc146cee53d5e1df"},
      {
        "4a65616e2d426170746973746520536179",
        "3e40f15f6f3a46ae446b253bf8b1d9ffb6ed9b174d272328ff91a7e2e5c79c07f5"
      },
      {
        "457567656e2042f6686d20766f6e2042617765726b",
        "eb3f3515110702e047a6c9da4478b6ead94873c11c0f2d710ddb3f09fce024b3a58502ae3f"
      },
    };
    HandshakeState init = new HandshakeState(true, prologue, is, ie);
    HandshakeState resp = new HandshakeState(false, prologue, rs, re);
    for (int i = 0; i < 3; i++) {
      HandshakeState writer = i % 2 == 0 ? init : resp;
      HandshakeState reader = i % 2 == 0 ? resp : init;
      byte[] ct = writer.writeMessage(HEX.parseHex(messages[i][0]));
      assertEquals(messages[i][1], HEX.formatHex(ct), "handshake message " + i);
      assertEquals(messages[i][0], HEX.formatHex(reader.readMessage(ct)));
    }
    assertEquals(
        "c8e5f64e846193be2a834104c2a009868d6c9f3bd3c186299888b488b2f1f58e",
        HEX.formatHex(init.handshakeHash()));
    assertArrayEquals(init.handshakeHash(), resp.handshakeHash());
    assertArrayEquals(X25519.rawPublic(rs.getPublic()), init.remoteStatic());
    assertArrayEquals(X25519.rawPublic(is.getPublic()), resp.remoteStatic());
    CipherState[] ic = init.split();
    CipherState[] rc = resp.split();
    for (int i = 3; i < messages.length; i++) {
      // Transport messages keep alternating: responder (c2), initiator (c1), responder (c2).
      CipherState send = i % 2 == 0 ? ic[0] : rc[1];
      CipherState recv = i % 2 == 0 ? rc[0] : ic[1];
      byte[] ct = send.encrypt(null, HEX.parseHex(messages[i][0]));
      assertEquals(messages[i][1], HEX.formatHex(ct), "transport message " + i);
      assertEquals(messages[i][0], HEX.formatHex(recv.decrypt(null, ct)));
    }
  }

  @Test
  void hkdfAndNonceLayoutFollowTheSpec() throws Exception {
    // HKDF per Noise §4.3 equals RFC 5869 with the chaining key as salt and empty info.
    byte[][] out = HandshakeState.hkdf(new byte[32], new byte[] {1, 2, 3});
    assertEquals(32, out[0].length);
    assertTrue(!Arrays.equals(out[0], out[1]));
    CipherState c = new CipherState();
    c.initializeKey(new byte[32]);
    c.setNonceForTest(-2L); // 2^64 - 2: the last usable nonce
    c.encrypt(null, new byte[1]);
    assertThrows(GeneralSecurityException.class, () -> c.encrypt(null, new byte[1]));
  }

  @Test
  void libp2pHandshakeProvesBothIdentitiesAndCarriesLargeWrites() throws Exception {
    NodeIdentity alice = NodeIdentity.ephemeral();
    NodeIdentity bob = NodeIdentity.ephemeral();
    try (SocketPair p = SocketPair.open()) {
      var responder =
          CompletableFuture.supplyAsync(
              () ->
                  call(
                      () ->
                          NoiseHandshake.respond(
                              in(p.server().getInputStream()),
                              p.server().getOutputStream(),
                              bob,
                              List.of("/yamux/1.0.0"))));
      var ri =
          NoiseHandshake.initiate(
              in(p.client().getInputStream()),
              p.client().getOutputStream(),
              alice,
              bob.peerId(),
              List.of());
      var rr = responder.get(10, TimeUnit.SECONDS);
      assertEquals(bob.peerId(), ri.remotePeer());
      assertEquals(alice.peerId(), rr.remotePeer());
      assertEquals(bob.publicKey(), ri.remoteKey());
      assertEquals(List.of("/yamux/1.0.0"), ri.remoteMuxers());
      assertNull(rr.remoteMuxers(), "an empty muxer list is not sent");

      byte[] big = new byte[3 * SecureChannel.MAX_PLAINTEXT + 1234];
      new Random(1).nextBytes(big);
      var reader =
          CompletableFuture.supplyAsync(
              () -> call(() -> rr.channel().input().readNBytes(big.length)));
      ri.channel().output().write(big);
      ri.channel().output().flush();
      assertArrayEquals(big, reader.get(10, TimeUnit.SECONDS));

      rr.channel().output().write("pong".getBytes());
      rr.channel().output().flush();
      assertEquals("pong", new String(ri.channel().input().readNBytes(4)));
    }
  }

  @Test
  void writesAreSplitIntoFramesOfAtMost65535Bytes() throws Exception {
    CipherState send = new CipherState();
    send.initializeKey(new byte[32]);
    CipherState recv = new CipherState();
    recv.initializeKey(new byte[32]);
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    SecureChannel tx =
        new SecureChannel(InputStream.nullInputStream(), wire, send, new CipherState());
    byte[] data = new byte[SecureChannel.MAX_PLAINTEXT + 1];
    Arrays.fill(data, (byte) 7);
    tx.output().write(data);
    tx.output().flush();
    byte[] w = wire.toByteArray();
    assertEquals(65535, ((w[0] & 0xFF) << 8) | (w[1] & 0xFF));
    assertEquals(17, ((w[2 + 65535] & 0xFF) << 8) | (w[2 + 65535 + 1] & 0xFF));
    assertEquals(2 + 65535 + 2 + 17, w.length);
    SecureChannel rx =
        new SecureChannel(
            new ByteArrayInputStream(w), OutputStream.nullOutputStream(), new CipherState(), recv);
    assertArrayEquals(data, rx.input().readAllBytes());
  }

  @Test
  void smallWritesShareOneFrameUntilFlush() throws Exception {
    CipherState send = new CipherState();
    send.initializeKey(new byte[32]);
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    SecureChannel tx =
        new SecureChannel(InputStream.nullInputStream(), wire, send, new CipherState());
    for (int i = 0; i < 100; i++) {
      tx.output().write(new byte[12]);
    }
    assertEquals(0, wire.size(), "nothing is sent before flush");
    tx.output().flush();
    assertEquals(2 + 1200 + 16, wire.size(), "one frame for all 100 writes");
  }

  @Test
  void tamperedTruncatedAndTinyFramesAreRefused() throws Exception {
    CipherState send = new CipherState();
    send.initializeKey(new byte[32]);
    ByteArrayOutputStream wire = new ByteArrayOutputStream();
    SecureChannel tx =
        new SecureChannel(InputStream.nullInputStream(), wire, send, new CipherState());
    tx.output().write("hello".getBytes());
    tx.output().flush();
    byte[] good = wire.toByteArray();

    byte[] tampered = good.clone();
    tampered[5] ^= 1;
    var e = assertThrows(IOException.class, () -> receiver(tampered).input().read());
    assertTrue(e.getMessage().contains("authentication"), e.getMessage());
    assertThrows(
        IOException.class, () -> receiver(Arrays.copyOf(good, good.length - 1)).input().read());
    var tiny =
        assertThrows(
            IOException.class,
            () -> receiver(HEX.parseHex("000f" + "00".repeat(15))).input().read());
    assertTrue(tiny.getMessage().contains("16-byte tag"), tiny.getMessage());
    assertEquals(-1, receiver(new byte[0]).input().read());
  }

  @Test
  void dialerAbortsWhenTheRemoteIsNotTheDialedPeer() throws Exception {
    NodeIdentity alice = NodeIdentity.ephemeral();
    NodeIdentity bob = NodeIdentity.ephemeral();
    PeerId someoneElse = NodeIdentity.ephemeral().peerId();
    try (SocketPair p = SocketPair.open()) {
      var responder =
          CompletableFuture.supplyAsync(
              () ->
                  call(
                      () ->
                          NoiseHandshake.respond(
                              in(p.server().getInputStream()),
                              p.server().getOutputStream(),
                              bob,
                              List.of())));
      var e =
          assertThrows(
              PeerIdMismatchException.class,
              () ->
                  NoiseHandshake.initiate(
                      in(p.client().getInputStream()),
                      p.client().getOutputStream(),
                      alice,
                      someoneElse,
                      List.of()));
      assertEquals(someoneElse, e.expected());
      assertEquals(bob.peerId(), e.actual());
      p.client().close();
      // The responder never learns a verified identity: message 3 was never sent.
      var failure =
          assertThrows(ExecutionException.class, () -> responder.get(10, TimeUnit.SECONDS));
      assertInstanceOf(IOException.class, failure.getCause().getCause());
    }
  }

  @Test
  void aForgedIdentitySignatureIsRefused() throws Exception {
    NodeIdentity alice = NodeIdentity.ephemeral();
    NodeIdentity mallory = NodeIdentity.ephemeral();
    try (SocketPair p = SocketPair.open()) {
      // A responder that claims mallory's key but signs someone else's Noise key.
      Thread.ofVirtual()
          .start(
              () ->
                  fakeResponder(
                      p,
                      static_ ->
                          new NoisePayload(
                              mallory.publicKey().encode(),
                              mallory.sign(new byte[] {1, 2, 3}),
                              null)));
      var e =
          assertThrows(
              HandshakeException.class,
              () ->
                  NoiseHandshake.initiate(
                      in(p.client().getInputStream()),
                      p.client().getOutputStream(),
                      alice,
                      null,
                      List.of()));
      assertTrue(e.getMessage().contains("signature"), e.getMessage());
    }
  }

  @Test
  void ecdsaAndRsaIdentitiesAreVerified() throws Exception {
    for (String[] alg : new String[][] {{"EC", "SHA256withECDSA"}, {"RSA", "SHA256withRSA"}}) {
      java.security.KeyPairGenerator g = java.security.KeyPairGenerator.getInstance(alg[0]);
      g.initialize(alg[0].equals("EC") ? 256 : 2048);
      KeyPair id = g.generateKeyPair();
      var type =
          alg[0].equals("EC") ? dev.plasm.identity.KeyType.ECDSA : dev.plasm.identity.KeyType.RSA;
      byte[] key = dev.plasm.identity.PeerPublicKey.of(type, id.getPublic().getEncoded()).encode();
      try (SocketPair p = SocketPair.open()) {
        Thread.ofVirtual()
            .start(
                () ->
                    fakeResponder(
                        p,
                        staticKey -> {
                          try {
                            java.security.Signature sig =
                                java.security.Signature.getInstance(alg[1]);
                            sig.initSign(id.getPrivate());
                            sig.update(
                                HandshakeState.concat(NoiseHandshake.SIGNATURE_PREFIX, staticKey));
                            return new NoisePayload(key, sig.sign(), null);
                          } catch (GeneralSecurityException e) {
                            throw new IllegalStateException(e);
                          }
                        }));
        var r =
            NoiseHandshake.initiate(
                in(p.client().getInputStream()),
                p.client().getOutputStream(),
                NodeIdentity.ephemeral(),
                null,
                List.of());
        assertEquals(type, r.remoteKey().type());
        assertTrue(
            r.remotePeer().toString().startsWith("Qm"),
            "a " + type + " key is too long to inline in the peer id");
      }
    }
  }

  @Test
  void aSecp256k1IdentityIsVerifiedAndNamedByItsEmbeddedKey() throws Exception {
    // The secp256k1 key pair of the libp2p peer-ids spec's vectors.
    BigInteger d =
        new BigInteger("53dadf1d5a164d6b4acdb15e24aa4c5b1d3461bdbd42abedb0a4404d56ced8fb", 16);
    byte[] secpKey =
        HEX.parseHex("08021221037777e994e452c21604f91de093ce415f5432f701dd8cd1a7a6fea0e630bfca99");
    try (SocketPair p = SocketPair.open()) {
      Thread.ofVirtual()
          .start(
              () ->
                  fakeResponder(
                      p,
                      staticKey ->
                          new NoisePayload(
                              secpKey,
                              secp256k1Signature(
                                  d,
                                  HandshakeState.concat(
                                      NoiseHandshake.SIGNATURE_PREFIX, staticKey)),
                              null)));
      var r =
          NoiseHandshake.initiate(
              in(p.client().getInputStream()),
              p.client().getOutputStream(),
              NodeIdentity.ephemeral(),
              null,
              List.of());
      assertEquals(KeyType.SECP256K1, r.remoteKey().type());
      assertEquals(
          "16Uiu2HAmLhLvBoYaoZfaMUKuibM6ac163GwKY74c5kiSLg5KvLpY", r.remotePeer().toString());
    }
    try (SocketPair p = SocketPair.open()) {
      // The same key with a signature over something else.
      Thread.ofVirtual()
          .start(
              () ->
                  fakeResponder(
                      p,
                      staticKey ->
                          new NoisePayload(secpKey, secp256k1Signature(d, new byte[] {1}), null)));
      var e =
          assertThrows(
              HandshakeException.class,
              () ->
                  NoiseHandshake.initiate(
                      in(p.client().getInputStream()),
                      p.client().getOutputStream(),
                      NodeIdentity.ephemeral(),
                      null,
                      List.of()));
      assertTrue(e.getMessage().contains("signature does not verify"), e.getMessage());
    }
  }

  @Test
  void anIdentityKeyOfAnUnknownTypeIsRefusedClearly() throws Exception {
    try (SocketPair p = SocketPair.open()) {
      Thread.ofVirtual()
          .start(
              () ->
                  fakeResponder(
                      p,
                      static_ -> new NoisePayload(HEX.parseHex("08091200"), new byte[64], null)));
      var e =
          assertThrows(
              HandshakeException.class,
              () ->
                  NoiseHandshake.initiate(
                      in(p.client().getInputStream()),
                      p.client().getOutputStream(),
                      NodeIdentity.ephemeral(),
                      null,
                      List.of()));
      assertTrue(e.getMessage().contains("unknown libp2p key type 9"), e.getMessage());
      assertInstanceOf(UnsupportedKeyTypeException.class, e.getCause());
    }
  }

  /** A DER ECDSA signature over sha256(message) on secp256k1, made with BouncyCastle (deterministic k). */
  private static byte[] secp256k1Signature(BigInteger d, byte[] message) {
    var curve = org.bouncycastle.crypto.ec.CustomNamedCurves.getByName("secp256k1");
    var signer =
        new org.bouncycastle.crypto.signers.ECDSASigner(
            new org.bouncycastle.crypto.signers.HMacDSAKCalculator(
                new org.bouncycastle.crypto.digests.SHA256Digest()));
    signer.init(
        true,
        new org.bouncycastle.crypto.params.ECPrivateKeyParameters(
            d, new org.bouncycastle.crypto.params.ECDomainParameters(curve)));
    BigInteger[] rs = signer.generateSignature(dev.plasm.identity.Multihash.sha256Digest(message));
    try {
      return new org.bouncycastle.asn1.DERSequence(
              new org.bouncycastle.asn1.ASN1Encodable[] {
                new org.bouncycastle.asn1.ASN1Integer(rs[0]),
                new org.bouncycastle.asn1.ASN1Integer(rs[1])
              })
          .getEncoded();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  @Test
  void muxerAgreementPrefersTheInitiatorsOrder() {
    assertEquals(
        "/yamux/1.0.0",
        NoiseHandshake.agreedMuxer(
            List.of("/yamux/1.0.0", "/mplex/6.7.0"), List.of("/mplex/6.7.0", "/yamux/1.0.0")));
    assertNull(NoiseHandshake.agreedMuxer(null, List.of("/yamux/1.0.0")));
    assertNull(NoiseHandshake.agreedMuxer(List.of("/a"), List.of("/b")));
    NoisePayload p =
        NoisePayload.decode(
            new NoisePayload(new byte[] {1}, new byte[] {2}, List.of("/yamux/1.0.0", "/x"))
                .encode());
    assertEquals(List.of("/yamux/1.0.0", "/x"), p.streamMuxers());
  }

  private static void fakeResponder(
      SocketPair p, java.util.function.Function<byte[], NoisePayload> payload) {
    try {
      InputStream in = in(p.server().getInputStream());
      HandshakeState hs = new HandshakeState(false, new byte[0], X25519.generate(), null);
      hs.readMessage(NoiseHandshake.readFrame(in));
      NoiseHandshake.writeFrame(
          p.server().getOutputStream(), hs.writeMessage(payload.apply(hs.localStatic()).encode()));
      in.read();
    } catch (Exception ignored) {
      // The initiator hangs up.
    }
  }

  private static SecureChannel receiver(byte[] wire) {
    CipherState recv = new CipherState();
    recv.initializeKey(new byte[32]);
    return new SecureChannel(
        new ByteArrayInputStream(wire), OutputStream.nullOutputStream(), new CipherState(), recv);
  }

  private static InputStream in(InputStream raw) {
    return new BufferedInputStream(raw);
  }

  interface IoCall<T> {
    T call() throws Exception;
  }

  private static <T> T call(IoCall<T> c) {
    try {
      return c.call();
    } catch (Exception e) {
      throw new RuntimeException(e);
    }
  }
}
