package dev.plasm.transport.libp2p;

import dev.plasm.transport.libp2p.internal.codec.ProtoWriter;
import dev.plasm.transport.libp2p.internal.crypto.Ed25519;
import java.security.KeyPair;
import java.security.PrivateKey;
import java.util.Arrays;

/**
 * The Ed25519 key pair a host proves its {@link PeerId} with.
 *
 * <p>Only Ed25519 is offered for our own identity: it is the one type every libp2p implementation
 * must support and it gives short, self-certifying {@code 12D3KooW...} peer ids.
 */
public final class PeerKeyPair {
  private final PrivateKey privateKey;
  private final PeerPublicKey publicKey;
  private final byte[] seed;

  private PeerKeyPair(KeyPair pair) {
    this.privateKey = pair.getPrivate();
    this.seed = Ed25519.seed(pair.getPrivate());
    this.publicKey = PeerPublicKey.ed25519(Ed25519.rawPublic(pair.getPublic()));
  }

  public static PeerKeyPair generate() {
    return new PeerKeyPair(Ed25519.generate());
  }

  /** The key pair of a 32-byte Ed25519 seed (RFC 8032 private key). */
  public static PeerKeyPair fromSeed(byte[] seed) {
    return new PeerKeyPair(Ed25519.fromSeed(seed));
  }

  /**
   * Decodes a libp2p {@code PrivateKey} protobuf of type Ed25519, whose data is seed‖public (64
   * bytes, checked), the legacy seed‖public‖public (96 bytes), or a bare 32-byte seed.
   */
  public static PeerKeyPair decodePrivateKey(byte[] protobuf) {
    KeyMessage m = KeyMessage.decode(protobuf, "PrivateKey");
    long type = m.type();
    byte[] data = m.data();
    if (KeyType.of(type) != KeyType.ED25519) {
      throw new UnsupportedKeyTypeException("only Ed25519 private keys can be a host identity, not " + KeyType.of(type));
    }
    if (data.length != 32 && data.length != 64 && data.length != 96) {
      throw new MalformedMessageException("Ed25519 private key data of " + data.length + " bytes");
    }
    PeerKeyPair pair = fromSeed(Arrays.copyOf(data, 32));
    byte[] expected = pair.publicKey.data();
    for (int off = 32; off < data.length; off += 32) {
      if (!Arrays.equals(expected, Arrays.copyOfRange(data, off, off + 32))) {
        throw new MalformedMessageException("Ed25519 private key data carries a public key that does not match its seed");
      }
    }
    return pair;
  }

  /** The libp2p {@code PrivateKey} protobuf, with data seed‖public as js and go write it. */
  public byte[] encodePrivateKey() {
    byte[] data = Arrays.copyOf(seed, 64);
    System.arraycopy(publicKey.data(), 0, data, 32, 32);
    return new ProtoWriter().varint(1, KeyType.ED25519.code()).bytes(2, data).toByteArray();
  }

  public byte[] seed() {
    return seed.clone();
  }

  public PeerPublicKey publicKey() {
    return publicKey;
  }

  public PeerId peerId() {
    return publicKey.peerId();
  }

  public byte[] sign(byte[] message) {
    return Ed25519.sign(privateKey, message);
  }

  @Override
  public String toString() {
    return "PeerKeyPair[" + peerId() + "]";
  }
}
