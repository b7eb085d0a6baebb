package dev.plasm.transport.libp2p.internal.kad;

import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.Multiaddr;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Provider records: which peers said they can serve the content behind a multihash key. Each
 * expires {@code ttl} after its last announcement; keys and providers per key are capped, and a
 * full key keeps its existing providers rather than taking new ones.
 */
public final class ProviderStore {
  /** A provider and when its record expires. */
  public record Provider(PeerId peer, List<Multiaddr> addrs, Instant expires) {}

  private final int maxKeys;
  private final int maxPerKey;
  private final Duration ttl;
  private final Map<String, LinkedHashMap<PeerId, Provider>> byKey = new HashMap<>();

  public ProviderStore(int maxKeys, int maxPerKey, Duration ttl) {
    this.maxKeys = maxKeys;
    this.maxPerKey = maxPerKey;
    this.ttl = ttl;
  }

  /** Adds or refreshes a provider; returns false if a cap refused it. */
  public synchronized boolean add(byte[] key, PeerId peer, List<Multiaddr> addrs, Instant now) {
    String k = HexFormat.of().formatHex(key);
    LinkedHashMap<PeerId, Provider> providers = byKey.get(k);
    if (providers == null) {
      if (byKey.size() >= maxKeys) {
        sweep(now);
        if (byKey.size() >= maxKeys) {
          return false;
        }
      }
      providers = new LinkedHashMap<>();
      byKey.put(k, providers);
    }
    Provider old = providers.remove(peer);
    if (old == null && providers.size() >= maxPerKey) {
      providers.values().removeIf(p -> !p.expires().isAfter(now));
      if (providers.size() >= maxPerKey) {
        return false;
      }
    }
    List<Multiaddr> keep = addrs.isEmpty() && old != null ? old.addrs() : addrs;
    if (keep.size() > KadMessage.MAX_ADDRS) {
      keep = keep.subList(0, KadMessage.MAX_ADDRS);
    }
    providers.put(peer, new Provider(peer, List.copyOf(keep), now.plus(ttl)));
    return true;
  }

  /** Live providers of {@code key}, oldest announcement first, at most {@code max}. */
  public synchronized List<Provider> get(byte[] key, int max, Instant now) {
    LinkedHashMap<PeerId, Provider> providers = byKey.get(HexFormat.of().formatHex(key));
    List<Provider> out = new ArrayList<>();
    if (providers != null) {
      for (Provider p : providers.values()) {
        if (p.expires().isAfter(now) && out.size() < max) {
          out.add(p);
        }
      }
    }
    return out;
  }

  /** Drops expired providers and empty keys; returns how many providers were dropped. */
  public synchronized int sweep(Instant now) {
    int dropped = 0;
    for (var it = byKey.values().iterator(); it.hasNext(); ) {
      LinkedHashMap<PeerId, Provider> providers = it.next();
      int before = providers.size();
      providers.values().removeIf(p -> !p.expires().isAfter(now));
      dropped += before - providers.size();
      if (providers.isEmpty()) {
        it.remove();
      }
    }
    return dropped;
  }

  public synchronized int keyCount() {
    return byKey.size();
  }
}
