package dev.plasm.transport.libp2p.internal.noise;

import dev.plasm.identity.KeyFormatException;
import dev.plasm.identity.NodeIdentity;
import dev.plasm.identity.PeerId;
import dev.plasm.identity.PeerPublicKey;
import dev.plasm.transport.libp2p.HandshakeException;
import dev.plasm.transport.libp2p.PeerIdMismatchException;
import dev.plasm.transport.libp2p.internal.crypto.X25519;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.util.List;

/**
 * The libp2p Noise handshake (protocol id {@code /noise}): Noise XX with each side's libp2p
 * identity proven in its payload (libp2p/specs noise/README.md).
 *
 * <p>The responder's payload rides in message 2 and the initiator's in message 3. Each payload
 * carries the identity public key and its signature over {@code "noise-libp2p-static-key:" ||
 * noise static key}, which binds the Noise session to the libp2p identity.
 */
public final class NoiseHandshake {
  public static final String PROTOCOL_ID = "/noise";
  static final byte[] SIGNATURE_PREFIX =
      "noise-libp2p-static-key:".getBytes(StandardCharsets.US_ASCII);

  /**
   * A finished handshake.
   *
   * @param remoteMuxers the muxers the remote listed in its payload, or null if it listed none
   */
  public record Result(
      SecureChannel channel,
      PeerPublicKey remoteKey,
      PeerId remotePeer,
      List<String> remoteMuxers) {}

  private NoiseHandshake() {}

  /**
   * Runs the handshake as initiator (dialer).
   *
   * @param expected the peer id being dialed, or null to accept any proven identity
   * @param muxers muxers to offer in the payload (inlined muxer negotiation), or an empty list
   */
  public static Result initiate(
      InputStream in, OutputStream out, NodeIdentity identity, PeerId expected, List<String> muxers)
      throws IOException {
    KeyPair staticKey = X25519.generate();
    HandshakeState hs = new HandshakeState(true, new byte[0], staticKey, null);
    try {
      writeFrame(out, hs.writeMessage(new byte[0]));
      NoisePayload remote = NoisePayload.decode(hs.readMessage(readFrame(in)));
      PeerPublicKey remoteKey = verify(remote, hs.remoteStatic());
      PeerId remotePeer = remoteKey.peerId();
      if (expected != null && !expected.equals(remotePeer)) {
        throw new PeerIdMismatchException(expected, remotePeer);
      }
      writeFrame(out, hs.writeMessage(payload(identity, hs.localStatic(), muxers).encode()));
      CipherState[] cs = hs.split();
      return new Result(
          new SecureChannel(in, out, cs[0], cs[1]), remoteKey, remotePeer, remote.streamMuxers());
    } catch (GeneralSecurityException e) {
      throw new HandshakeException("Noise handshake failed: " + e.getMessage(), e);
    }
  }

  /** Runs the handshake as responder (listener). */
  public static Result respond(
      InputStream in, OutputStream out, NodeIdentity identity, List<String> muxers)
      throws IOException {
    KeyPair staticKey = X25519.generate();
    HandshakeState hs = new HandshakeState(false, new byte[0], staticKey, null);
    try {
      // Message 1 must have an empty payload; a non-empty one is tolerated and ignored, as in js.
      hs.readMessage(readFrame(in));
      writeFrame(out, hs.writeMessage(payload(identity, hs.localStatic(), muxers).encode()));
      NoisePayload remote = NoisePayload.decode(hs.readMessage(readFrame(in)));
      PeerPublicKey remoteKey = verify(remote, hs.remoteStatic());
      CipherState[] cs = hs.split();
      return new Result(
          new SecureChannel(in, out, cs[1], cs[0]),
          remoteKey,
          remoteKey.peerId(),
          remote.streamMuxers());
    } catch (GeneralSecurityException e) {
      throw new HandshakeException("Noise handshake failed: " + e.getMessage(), e);
    }
  }

  /** The muxer inlined negotiation agrees on: the initiator's first choice the responder supports. */
  public static String agreedMuxer(List<String> initiatorMuxers, List<String> responderMuxers) {
    if (initiatorMuxers == null || responderMuxers == null) {
      return null;
    }
    for (String m : initiatorMuxers) {
      if (responderMuxers.contains(m)) {
        return m;
      }
    }
    return null;
  }

  static NoisePayload payload(NodeIdentity identity, byte[] staticPublic, List<String> muxers) {
    byte[] sig = identity.sign(concat(SIGNATURE_PREFIX, staticPublic));
    return new NoisePayload(identity.publicKey().encode(), sig, muxers);
  }

  static PeerPublicKey verify(NoisePayload p, byte[] remoteStatic) {
    if (p.identityKey() == null || p.identitySig() == null) {
      throw new HandshakeException("Noise payload lacks identity_key or identity_sig");
    }
    PeerPublicKey key;
    try {
      key = PeerPublicKey.decode(p.identityKey());
    } catch (KeyFormatException e) {
      throw new HandshakeException(
          "Noise payload carries a bad identity key: " + e.getMessage(), e);
    }
    if (!key.verify(concat(SIGNATURE_PREFIX, remoteStatic), p.identitySig())) {
      throw new HandshakeException("Noise identity signature does not verify for " + key.peerId());
    }
    return key;
  }

  static void writeFrame(OutputStream out, byte[] msg) throws IOException {
    if (msg.length > SecureChannel.MAX_FRAME) {
      throw new IllegalArgumentException("Noise message of " + msg.length + " bytes exceeds 65535");
    }
    byte[] frame = new byte[2 + msg.length];
    frame[0] = (byte) (msg.length >>> 8);
    frame[1] = (byte) msg.length;
    System.arraycopy(msg, 0, frame, 2, msg.length);
    out.write(frame);
    out.flush();
  }

  static byte[] readFrame(InputStream in) throws IOException {
    int hi = in.read();
    int lo = in.read();
    if (hi < 0 || lo < 0) {
      throw new EOFException("connection closed during the Noise handshake");
    }
    int len = (hi << 8) | lo;
    byte[] msg = in.readNBytes(len);
    if (msg.length != len) {
      throw new EOFException("connection closed inside a Noise handshake message");
    }
    return msg;
  }

  private static byte[] concat(byte[] a, byte[] b) {
    return HandshakeState.concat(a, b);
  }
}
