package dev.plasm.identity;

import java.util.Arrays;
import java.util.Optional;

/**
 * A libp2p peer id: the identity multihash of the protobuf-encoded public key, written in
 * base58btc ({@code 12D3KooW...} for Ed25519 keys).
 */
public final class PeerId {
  // protobuf PublicKey { KeyType Type = 1 (Ed25519 = 1); bytes Data = 2 (32 bytes) }
  private static final byte[] ED25519_PROTOBUF_PREFIX = {0x08, 0x01, 0x12, 0x20};
  private static final int IDENTITY = 0x00;
  private static final int SHA2_256 = 0x12;

  private final byte[] multihash;

  private PeerId(byte[] multihash) {
    this.multihash = multihash;
  }

  /** The peer id of an Ed25519 public key. */
  public static PeerId ofEd25519(byte[] publicKey) {
    if (publicKey.length != Ed25519Keys.PUBLIC_KEY_BYTES) {
      throw new IllegalArgumentException("an Ed25519 public key has 32 bytes");
    }
    byte[] proto = new byte[ED25519_PROTOBUF_PREFIX.length + publicKey.length];
    System.arraycopy(ED25519_PROTOBUF_PREFIX, 0, proto, 0, ED25519_PROTOBUF_PREFIX.length);
    System.arraycopy(publicKey, 0, proto, ED25519_PROTOBUF_PREFIX.length, publicKey.length);
    byte[] mh = new byte[2 + proto.length];
    mh[0] = IDENTITY;
    mh[1] = (byte) proto.length;
    System.arraycopy(proto, 0, mh, 2, proto.length);
    return new PeerId(mh);
  }

  /**
   * Parses a base58btc peer id.
   *
   * @throws IllegalArgumentException saying what is wrong with the text
   */
  public static PeerId parse(String text) {
    byte[] mh;
    try {
      mh = Base58.decode(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("'" + text + "' is not a peer id: " + e.getMessage());
    }
    if (mh.length < 2 || (mh[1] & 0xff) != mh.length - 2
        || ((mh[0] & 0xff) != IDENTITY && (mh[0] & 0xff) != SHA2_256)
        || ((mh[0] & 0xff) == SHA2_256 && mh.length != 34)) {
      throw new IllegalArgumentException(
          "'" + text + "' is not a peer id: expected an identity or sha2-256 multihash in base58btc");
    }
    return new PeerId(mh);
  }

  /** The Ed25519 public key inside an identity peer id, if it holds one. */
  public Optional<byte[]> ed25519PublicKey() {
    if (multihash[0] == IDENTITY && multihash.length == 2 + 36
        && Arrays.equals(multihash, 2, 6, ED25519_PROTOBUF_PREFIX, 0, 4)) {
      return Optional.of(Arrays.copyOfRange(multihash, 6, 38));
    }
    return Optional.empty();
  }

  public byte[] multihash() {
    return multihash.clone();
  }

  @Override
  public String toString() {
    return Base58.encode(multihash);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PeerId p && Arrays.equals(p.multihash, multihash);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(multihash);
  }
}
