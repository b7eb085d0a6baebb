package dev.plasm.daemon.internal.remote;

import dev.plasm.api.Limit;
import dev.plasm.daemon.internal.log.Log;
import dev.plasm.engine.spi.Capability;
import dev.plasm.engine.spi.EngineDescriptor;
import dev.plasm.host.EngineInfo;
import dev.plasm.identity.NodeIdentity;
import dev.plasm.transport.spi.DhtKey;
import dev.plasm.transport.spi.PeerAddresses;
import dev.plasm.transport.spi.Transport;
import dev.plasm.transport.spi.TransportException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.function.Supplier;

/**
 * Offers on the DHT (docs/remote.md, "Offers"): this node's signed record under {@code
 * /plasm/node/<peer id>}, and provider records under {@code /plasm/executor} and {@code
 * /plasm/engine/<id>} for each engine; and, for a requester, reading and checking others' records.
 */
final class Offers {
  /** The key every executor provides. */
  static final DhtKey EXECUTORS = new DhtKey("/plasm/executor");

  /** Providers are announced again this often (their DHT records last far longer). */
  static final Duration PROVIDE_EVERY = Duration.ofMinutes(10);

  private final Transport transport;
  private final NodeIdentity identity;
  private final List<EngineInfo> engines;
  private final Log log;
  private Instant lastProvide = Instant.EPOCH;
  private final java.util.Map<String, NodeRecord> known =
      new java.util.concurrent.ConcurrentHashMap<>();

  Offers(Transport transport, NodeIdentity identity, List<EngineInfo> engines, Log log) {
    this.transport = transport;
    this.identity = identity;
    this.engines = List.copyOf(engines);
    this.log = log;
  }

  static DhtKey nodeKey(String peerId) {
    return new DhtKey("/plasm/node/" + peerId);
  }

  static DhtKey engineKey(String engineId) {
    return new DhtKey("/plasm/engine/" + engineId);
  }

  static DhtKey moduleKey(String sha256) {
    return new DhtKey("/plasm/module/" + sha256);
  }

  static List<NodeRecord.EngineOffer> engineOffers(List<EngineInfo> engines) {
    List<NodeRecord.EngineOffer> out = new ArrayList<>();
    for (EngineInfo e : engines) {
      EngineDescriptor d = e.descriptor();
      out.add(
          new NodeRecord.EngineOffer(
              d.id(),
              d.version(),
              d.mode().toString().toLowerCase(Locale.ROOT).replace('_', '-'),
              d.enforces(Limit.FUEL),
              d.has(Capability.DETERMINISTIC_WASI)));
    }
    return out;
  }

  /** Signs and publishes this node's record (and, now and then, its provider records). */
  void publish(java.util.Map<String, Long> limits, NodeRecord.Capacity capacity, Duration ttl) {
    Instant now = Instant.now();
    NodeRecord r =
        new NodeRecord(
            identity.peerId().toString(),
            transport.listenAddresses(),
            engineOffers(engines),
            limits,
            capacity,
            List.of(JobService.PROTOCOL, ModuleService.PROTOCOL),
            now,
            now.plus(ttl));
    try {
      transport.putValue(nodeKey(r.peerId()), r.sign(identity));
      if (Duration.between(lastProvide, now).compareTo(PROVIDE_EVERY) >= 0) {
        transport.provide(EXECUTORS);
        for (EngineInfo e : engines) {
          transport.provide(engineKey(e.descriptor().id()));
        }
        lastProvide = now;
      }
    } catch (TransportException e) {
      log.warn("could not publish this node's offer", "error", e.getMessage());
    }
  }

  /** Withdraws the offer at shutdown: a record that expires now (readers then refuse it as stale). */
  void withdraw(java.util.Map<String, Long> limits) {
    Instant now = Instant.now();
    NodeRecord r =
        new NodeRecord(
            identity.peerId().toString(),
            List.of(),
            List.of(),
            limits,
            new NodeRecord.Capacity(0, 0, 0, 0, 0),
            List.of(),
            now,
            now.plusMillis(1));
    try {
      transport.putValue(nodeKey(r.peerId()), r.sign(identity));
    } catch (TransportException e) {
      // Closing: the record expires by itself.
    }
  }

  /** The last valid record read of {@code peerId}, or null. */
  NodeRecord known(String peerId) {
    return known.get(peerId);
  }

  /** Peers that provide {@code key}, other than this node. */
  List<PeerAddresses> providers(DhtKey key, int max) {
    List<PeerAddresses> out = new ArrayList<>();
    for (PeerAddresses p : transport.findProviders(key, max)) {
      if (!p.peerId().equals(identity.peerId().toString())) {
        out.add(p);
      }
    }
    return out;
  }

  /** The current, valid record of {@code peerId}; empty (with one log line) when there is none or it is refused. */
  Optional<NodeRecord> read(String peerId, Supplier<Instant> clock) {
    Optional<byte[]> v;
    try {
      v = transport.getValue(nodeKey(peerId));
    } catch (TransportException e) {
      return Optional.empty();
    }
    if (v.isEmpty()) {
      return Optional.empty();
    }
    try {
      NodeRecord r = NodeRecord.parse(v.get(), peerId, clock.get());
      known.put(peerId, r);
      return Optional.of(r);
    } catch (IllegalArgumentException e) {
      log.warn("refused a node record", "peer", peerId, "why", e.getMessage());
      return Optional.empty();
    }
  }
}
