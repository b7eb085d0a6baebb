package dev.plasm.transport.libp2p.internal.kad;

import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.Multiaddr;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Optional;
import java.util.function.Predicate;

/**
 * Kademlia k-buckets around our own key: bucket {@code i} holds peers whose key shares exactly
 * {@code i} leading bits with ours (so bucket 0 covers half the key space, bucket 255 one key).
 * Each bucket keeps at most {@code k} peers, least recently seen first.
 *
 * <p>A full bucket does not take a new peer at once: {@link #add} reports the least recently seen
 * entry so the caller can ping it and {@link #replace} it if it is gone, as Kademlia prescribes.
 */
public final class RoutingTable {
  /** A routing-table entry; addresses are capped at {@link KadMessage#MAX_ADDRS}. */
  public record Entry(PeerId peer, KadKey key, List<Multiaddr> addrs, Instant lastSeen) {
    public Entry {
      addrs =
          List.copyOf(
              addrs.size() > KadMessage.MAX_ADDRS ? addrs.subList(0, KadMessage.MAX_ADDRS) : addrs);
    }
  }

  /** What {@link #add} did: added or refreshed, or the bucket is full (with its oldest entry). */
  public record AddResult(boolean added, Entry oldest) {}

  private final KadKey self;
  private final int k;
  private final List<LinkedHashMap<PeerId, Entry>> buckets = new ArrayList<>();

  public RoutingTable(KadKey self, int k) {
    if (k < 1) {
      throw new IllegalArgumentException("k must be at least 1");
    }
    this.self = self;
    this.k = k;
    for (int i = 0; i < KadKey.BITS; i++) {
      buckets.add(new LinkedHashMap<>());
    }
  }

  public int k() {
    return k;
  }

  /** The bucket a key falls into; our own key has none. */
  public int bucketIndex(KadKey key) {
    int cpl = self.commonPrefixLength(key);
    if (cpl == KadKey.BITS) {
      throw new IllegalArgumentException("our own key has no bucket");
    }
    return cpl;
  }

  /**
   * Adds {@code peer} or refreshes it (moving it to the most recently seen end, and taking {@code
   * addrs} if non-empty). A full bucket is left alone and its oldest entry returned.
   */
  public synchronized AddResult add(PeerId peer, List<Multiaddr> addrs, Instant now) {
    KadKey key = KadKey.of(peer);
    if (key.equals(self)) {
      return new AddResult(false, null);
    }
    LinkedHashMap<PeerId, Entry> bucket = buckets.get(bucketIndex(key));
    Entry old = bucket.remove(peer);
    if (old != null || bucket.size() < k) {
      List<Multiaddr> keep = addrs.isEmpty() && old != null ? old.addrs() : addrs;
      bucket.put(peer, new Entry(peer, key, keep, now));
      return new AddResult(true, null);
    }
    return new AddResult(false, bucket.values().iterator().next());
  }

  /** Replaces {@code oldest} (found dead) by {@code peer}, if {@code oldest} is still there. */
  public synchronized boolean replace(
      Entry oldest, PeerId peer, List<Multiaddr> addrs, Instant now) {
    KadKey key = KadKey.of(peer);
    LinkedHashMap<PeerId, Entry> bucket = buckets.get(bucketIndex(key));
    if (bucketIndex(oldest.key()) != bucketIndex(key) || bucket.remove(oldest.peer()) == null) {
      return false;
    }
    bucket.put(peer, new Entry(peer, key, addrs, now));
    return true;
  }

  public synchronized boolean remove(PeerId peer) {
    KadKey key = KadKey.of(peer);
    return !key.equals(self) && buckets.get(bucketIndex(key)).remove(peer) != null;
  }

  public synchronized Optional<Entry> get(PeerId peer) {
    KadKey key = KadKey.of(peer);
    return key.equals(self)
        ? Optional.empty()
        : Optional.ofNullable(buckets.get(bucketIndex(key)).get(peer));
  }

  /** Up to {@code n} entries closest to {@code target}, nearest first, skipping {@code exclude}. */
  public synchronized List<Entry> closest(KadKey target, int n, Predicate<PeerId> exclude) {
    List<Entry> all = new ArrayList<>();
    for (LinkedHashMap<PeerId, Entry> b : buckets) {
      for (Entry e : b.values()) {
        if (!exclude.test(e.peer())) {
          all.add(e);
        }
      }
    }
    all.sort(Comparator.comparing(Entry::key, target::compareDistance));
    return List.copyOf(all.subList(0, Math.min(n, all.size())));
  }

  public synchronized List<Entry> snapshot() {
    List<Entry> all = new ArrayList<>();
    buckets.forEach(b -> all.addAll(b.values()));
    return all;
  }

  public synchronized int size() {
    int n = 0;
    for (LinkedHashMap<PeerId, Entry> b : buckets) {
      n += b.size();
    }
    return n;
  }

  /** Number of peers per non-empty bucket index (for tests and diagnostics). */
  public synchronized int bucketSize(int index) {
    return buckets.get(index).size();
  }
}
