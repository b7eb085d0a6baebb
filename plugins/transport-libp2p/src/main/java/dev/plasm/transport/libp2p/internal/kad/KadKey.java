package dev.plasm.transport.libp2p.internal.kad;

import dev.plasm.identity.Multihash;
import dev.plasm.identity.PeerId;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A point in the Kademlia key space: SHA-256 of a key's bytes (of the binary peer id for peers),
 * with XOR distance. Distances compare as unsigned 256-bit big-endian numbers.
 */
public final class KadKey implements Comparable<KadKey> {
  public static final int BITS = 256;
  private final byte[] hash;

  private KadKey(byte[] hash) {
    this.hash = hash;
  }

  /** The key-space point of {@code key} (record key, provider multihash or binary peer id). */
  public static KadKey of(byte[] key) {
    return new KadKey(Multihash.sha256Digest(key));
  }

  public static KadKey of(PeerId peer) {
    return of(peer.toBytes());
  }

  /** A key whose SHA-256 is {@code hash} itself (tests and random refresh targets). */
  public static KadKey ofHash(byte[] hash) {
    if (hash.length != 32) {
      throw new IllegalArgumentException("a kad key hash has 32 bytes");
    }
    return new KadKey(hash.clone());
  }

  /** XOR distance to {@code other}, itself a 256-bit value compared with {@link #compareTo}. */
  public KadKey distance(KadKey other) {
    byte[] d = new byte[32];
    for (int i = 0; i < 32; i++) {
      d[i] = (byte) (hash[i] ^ other.hash[i]);
    }
    return new KadKey(d);
  }

  /** Leading bits this key shares with {@code other}: 256 for equal keys. */
  public int commonPrefixLength(KadKey other) {
    for (int i = 0; i < 32; i++) {
      int x = (hash[i] ^ other.hash[i]) & 0xFF;
      if (x != 0) {
        return i * 8 + Integer.numberOfLeadingZeros(x) - 24;
      }
    }
    return BITS;
  }

  /** Orders keys (usually distances) as unsigned big-endian numbers. */
  @Override
  public int compareTo(KadKey o) {
    return Arrays.compareUnsigned(hash, o.hash);
  }

  /** Which of two keys is closer to this one: negative if {@code a} is. */
  public int compareDistance(KadKey a, KadKey b) {
    for (int i = 0; i < 32; i++) {
      int da = (hash[i] ^ a.hash[i]) & 0xFF;
      int db = (hash[i] ^ b.hash[i]) & 0xFF;
      if (da != db) {
        return Integer.compare(da, db);
      }
    }
    return 0;
  }

  public byte[] bytes() {
    return hash.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KadKey k && Arrays.equals(hash, k.hash);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(hash);
  }

  @Override
  public String toString() {
    return HexFormat.of().formatHex(hash, 0, 8) + "…";
  }

  /** A key for log lines: the text if it is printable ASCII, otherwise hex. */
  static String printable(byte[] key) {
    if (key == null) {
      return "-";
    }
    for (byte b : key) {
      if (b < 0x20 || b > 0x7E) {
        return "0x"
            + HexFormat.of().formatHex(key, 0, Math.min(key.length, 40))
            + (key.length > 40 ? "…" : "");
      }
    }
    String s = new String(key, StandardCharsets.US_ASCII);
    return s.length() > 80 ? s.substring(0, 80) + "…" : s;
  }
}
