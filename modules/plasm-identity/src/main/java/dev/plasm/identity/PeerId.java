package dev.plasm.identity;

import java.io.ByteArrayOutputStream;
import java.util.Arrays;
import java.util.Optional;

/**
 * A libp2p peer id: the multihash of a peer's {@code PublicKey} protobuf, written in base58btc.
 *
 * <p>Keys that encode to at most 42 bytes (Ed25519: {@code 12D3KooW...}; secp256k1: {@code
 * 16Uiu2...}) are embedded with the identity multihash, so the key can be read back from the id;
 * longer ones (RSA, ECDSA: {@code Qm...}) are sha2-256 hashed and the key must arrive in a
 * handshake. Both text forms of the peer-ids spec are read: base58btc and CIDv1 with the {@code
 * libp2p-key} codec ({@code bafz...} in base32, or {@code z...} in base58btc).
 */
public final class PeerId {
  /** The libp2p-key multicodec of CIDv1 peer ids. */
  private static final int LIBP2P_KEY = 0x72;

  private static final int CID_V1 = 1;
  private static final int MAX_INLINE_KEY = 42;

  private final byte[] multihash;
  private final String text;

  private PeerId(byte[] multihash) {
    this.multihash = multihash;
    this.text = Base58.encode(multihash);
  }

  /** The peer id of a public key. */
  public static PeerId fromPublicKey(PeerPublicKey key) {
    byte[] encoded = key.encode();
    return new PeerId(
        encoded.length <= MAX_INLINE_KEY ? Multihash.identity(encoded) : Multihash.sha256(encoded));
  }

  /**
   * The peer id of raw Ed25519 key bytes, whether or not they are an acceptable key (a verifier
   * shows the id a document claims before it judges the key); use {@link #fromPublicKey} for keys.
   */
  public static PeerId ofEd25519(byte[] publicKey) {
    if (publicKey.length != Ed25519Keys.PUBLIC_KEY_BYTES) {
      throw new IllegalArgumentException(
          "an Ed25519 public key has 32 bytes, not " + publicKey.length);
    }
    return new PeerId(Multihash.identity(new KeyProtobuf(KeyType.ED25519, publicKey).encode()));
  }

  /**
   * A peer id from its binary multihash.
   *
   * @throws IllegalArgumentException if it is not the multihash of a peer id
   */
  public static PeerId fromBytes(byte[] multihash) {
    Multihash.Decoded d = Multihash.decode(multihash);
    if (d.code() == Multihash.IDENTITY && d.digest().length > MAX_INLINE_KEY) {
      throw new IllegalArgumentException(
          "an identity peer id embeds at most "
              + MAX_INLINE_KEY
              + " bytes of key, not "
              + d.digest().length);
    }
    return new PeerId(multihash.clone());
  }

  /**
   * Parses the base58btc form ({@code 12D3KooW...}, {@code 16Uiu2...}, {@code Qm...}) or a CIDv1
   * with the libp2p-key codec in base32 ({@code bafz...}) or base58btc ({@code z...}).
   *
   * @throws IllegalArgumentException quoting the text and saying what is wrong with it
   */
  public static PeerId parse(String text) {
    if (text.isEmpty()) {
      throw new IllegalArgumentException("an empty string is not a peer id");
    }
    try {
      char first = text.charAt(0);
      if (first == '1' || first == 'Q') {
        return fromBytes(Base58.decode(text));
      }
      if (first == 'b' || first == 'B' || first == 'z') {
        String body = text.substring(1);
        return fromCid(first == 'z' ? Base58.decode(body) : Base32.decode(body));
      }
      throw new IllegalArgumentException(
          "expected base58btc (12D3KooW..., Qm...) or a CIDv1 (bafz...)");
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("invalid peer id \"" + text + "\": " + e.getMessage(), e);
    }
  }

  private static PeerId fromCid(byte[] cid) {
    Varint in = new Varint(cid, 0);
    long version = in.next();
    if (version != CID_V1) {
      throw new IllegalArgumentException("CID version " + version + " (peer ids are CIDv1)");
    }
    long codec = in.next();
    if (codec != LIBP2P_KEY) {
      throw new IllegalArgumentException(
          "CID codec 0x" + Long.toHexString(codec) + " is not libp2p-key (0x72)");
    }
    return fromBytes(Arrays.copyOfRange(cid, in.position(), cid.length));
  }

  /** The binary multihash, as multiaddrs, the DHT and identify carry it. */
  public byte[] toBytes() {
    return multihash.clone();
  }

  /** The CIDv1 text form: base32 with the {@code b} multibase prefix ({@code bafz...}). */
  public String toCidString() {
    ByteArrayOutputStream cid = new ByteArrayOutputStream(multihash.length + 2);
    Varint.write(cid, CID_V1);
    Varint.write(cid, LIBP2P_KEY);
    cid.writeBytes(multihash);
    return "b" + Base32.encode(cid.toByteArray());
  }

  /**
   * The public key embedded in an identity peer id; empty for a hashed one.
   *
   * @throws KeyFormatException if the embedded bytes are not an acceptable key (an {@link
   *     UnsupportedKeyTypeException} for a type Plasm cannot use)
   */
  public Optional<PeerPublicKey> embeddedPublicKey() {
    Multihash.Decoded d = Multihash.decode(multihash);
    return d.code() == Multihash.IDENTITY
        ? Optional.of(PeerPublicKey.decode(d.digest()))
        : Optional.empty();
  }

  /** Whether this id names {@code key}. */
  public boolean matches(PeerPublicKey key) {
    return equals(fromPublicKey(key));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof PeerId p && Arrays.equals(p.multihash, multihash);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(multihash);
  }

  /** The base58btc form. */
  @Override
  public String toString() {
    return text;
  }
}
