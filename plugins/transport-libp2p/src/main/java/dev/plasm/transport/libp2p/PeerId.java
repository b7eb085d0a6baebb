package dev.plasm.transport.libp2p;

import dev.plasm.identity.Base58;
import dev.plasm.transport.libp2p.internal.codec.Base32;
import dev.plasm.transport.libp2p.internal.codec.Multihash;
import dev.plasm.transport.libp2p.internal.codec.Varint;
import java.util.Arrays;
import java.util.Optional;

/**
 * A libp2p peer id: the multihash of a peer's encoded public key, shown as base58btc.
 *
 * <p>Keys that encode to at most 42 bytes (Ed25519: {@code 12D3KooW...}) are embedded with the
 * identity multihash, so the key can be recovered from the id; longer ones (RSA, ECDSA: {@code
 * Qm...}) are sha2-256 hashed and the key must arrive in a handshake or identify.
 */
public final class PeerId {
  /** The libp2p-key multicodec of CIDv1 peer ids. */
  private static final int LIBP2P_KEY = 0x72;
  private static final int MAX_INLINE_KEY = 42;

  private final byte[] multihash;
  private final String text;

  private PeerId(byte[] multihash) {
    this.multihash = multihash;
    this.text = Base58.encode(multihash);
  }

  public static PeerId fromPublicKey(PeerPublicKey key) {
    byte[] encoded = key.encode();
    return new PeerId(encoded.length <= MAX_INLINE_KEY ? Multihash.identity(encoded) : Multihash.sha256(encoded));
  }

  /** A peer id from its binary multihash; throws {@link IllegalArgumentException} if it is not one. */
  public static PeerId fromBytes(byte[] multihash) {
    Multihash.Decoded d = Multihash.decode(multihash);
    if (d.code() == Multihash.IDENTITY && d.digest().length > MAX_INLINE_KEY) {
      throw new IllegalArgumentException(
          "an identity peer id embeds at most " + MAX_INLINE_KEY + " bytes of key, not " + d.digest().length);
    }
    return new PeerId(multihash.clone());
  }

  /**
   * Parses the base58btc form ({@code 12D3KooW...}, {@code Qm...}) or a CIDv1 with the libp2p-key
   * codec in base32 ({@code bafz...}) or base58btc ({@code z...}).
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
      if (first == 'b' || first == 'z') {
        byte[] cid = first == 'b' ? Base32.decode(text.substring(1)) : Base58.decode(text.substring(1));
        int[] end = new int[1];
        long version = Varint.decode(cid, 0, cid.length, end);
        long codec = Varint.decode(cid, end[0], cid.length, end);
        if (version != 1) {
          throw new IllegalArgumentException("CID version " + version + " (peer ids are CIDv1)");
        }
        if (codec != LIBP2P_KEY) {
          throw new IllegalArgumentException("CID codec 0x" + Long.toHexString(codec) + " is not libp2p-key (0x72)");
        }
        return fromBytes(Arrays.copyOfRange(cid, end[0], cid.length));
      }
      throw new IllegalArgumentException("expected base58btc (12D3KooW..., Qm...) or a CIDv1 (bafz...)");
    } catch (IllegalArgumentException | MalformedMessageException e) {
      throw new IllegalArgumentException("invalid peer id \"" + text + "\": " + e.getMessage(), e);
    }
  }

  /** The binary multihash. */
  public byte[] toBytes() {
    return multihash.clone();
  }

  /** The CIDv1 text form, base32 with the {@code b} multibase prefix. */
  public String toCidString() {
    byte[] cid = new byte[2 + multihash.length];
    cid[0] = 1;
    cid[1] = (byte) LIBP2P_KEY;
    System.arraycopy(multihash, 0, cid, 2, multihash.length);
    return "b" + Base32.encode(cid);
  }

  /**
   * The public key embedded in an identity peer id; empty for hashed ids. An embedded key of an
   * unsupported type throws {@link UnsupportedKeyTypeException}.
   */
  public Optional<PeerPublicKey> embeddedPublicKey() {
    Multihash.Decoded d = Multihash.decode(multihash);
    return d.code() == Multihash.IDENTITY ? Optional.of(PeerPublicKey.decode(d.digest())) : Optional.empty();
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
