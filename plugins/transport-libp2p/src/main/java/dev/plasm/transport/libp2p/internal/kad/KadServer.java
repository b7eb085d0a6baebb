package dev.plasm.transport.libp2p.internal.kad;

import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.Connection;
import dev.plasm.transport.libp2p.IdentifyInfo;
import dev.plasm.transport.libp2p.MalformedMessageException;
import dev.plasm.transport.libp2p.Multiaddr;
import dev.plasm.transport.libp2p.Stream;
import dev.plasm.transport.libp2p.internal.codec.Delimited;
import dev.plasm.transport.libp2p.internal.kad.KadMessage.Peer;
import dev.plasm.transport.libp2p.internal.kad.KadMessage.Type;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.SocketTimeoutException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The server side of the DHT: answers the requests of inbound streams (FIND_NODE, GET_VALUE,
 * PUT_VALUE, ADD_PROVIDER, GET_PROVIDERS and the deprecated PING) from the routing table and the
 * record and provider stores, within the inbound caps of {@link KadSettings}. A request it refuses
 * resets the stream and is logged.
 */
final class KadServer {
  private final KadSettings settings;
  private final PeerId self;
  private final RoutingTable table;
  private final RecordStore records;
  private final ProviderStore providers;
  private final KadContacts contacts;
  private final Semaphore inbound;
  private final AtomicLong inboundRequests = new AtomicLong();
  private final AtomicLong refusedRequests = new AtomicLong();

  KadServer(
      KadSettings settings,
      RoutingTable table,
      RecordStore records,
      ProviderStore providers,
      KadContacts contacts) {
    this.settings = settings;
    this.self = contacts.self();
    this.table = table;
    this.records = records;
    this.providers = providers;
    this.contacts = contacts;
    this.inbound = new Semaphore(settings.maxInboundStreams());
  }

  /** Requests served since start (all types). */
  long inboundRequests() {
    return inboundRequests.get();
  }

  /** Inbound requests refused (invalid record, cap reached, malformed message). */
  long refusedRequests() {
    return refusedRequests.get();
  }

  /** The protocol's stream handler: serves requests until the peer ends the stream or idles. */
  void serve(Stream s) throws IOException {
    PeerId from = s.connection().remotePeer();
    if (!inbound.tryAcquire()) {
      refusedRequests.incrementAndGet();
      KadNode.LOG.log(
          Level.WARNING,
          "resetting a kad stream from {0}: {1} inbound kad streams already open",
          from,
          settings.maxInboundStreams());
      s.reset();
      return;
    }
    try {
      s.setReadTimeout(settings.requestTimeout());
      for (int i = 0; i < settings.maxRequestsPerStream(); i++) {
        byte[] raw;
        try {
          raw = Delimited.readOrEnd(s.input(), settings.maxMessageSize(), "kad message");
        } catch (SocketTimeoutException e) {
          return; // idle: the stream is closed
        }
        if (raw == null) {
          return;
        }
        KadMessage req;
        KadMessage resp;
        try {
          req = KadMessage.decode(raw);
          inboundRequests.incrementAndGet();
          resp = handle(s.connection(), req);
        } catch (RecordValidator.InvalidRecordException
            | MalformedMessageException
            | KadNode.RefusedException e) {
          refuse(s, from, e);
          return;
        }
        if (resp != null) {
          Delimited.write(s.output(), resp.encode());
        }
      }
    } catch (MalformedMessageException e) {
      refuse(s, from, e);
    } finally {
      inbound.release();
    }
  }

  private void refuse(Stream s, PeerId from, RuntimeException e) {
    refusedRequests.incrementAndGet();
    KadNode.LOG.log(
        Level.INFO,
        "kad: refused a request from {0}, resetting the stream: {1}",
        from,
        e.getMessage());
    s.reset();
  }

  private KadMessage handle(Connection c, KadMessage req) {
    PeerId from = c.remotePeer();
    Instant now = Instant.now();
    return switch (req.type()) {
      case FIND_NODE -> {
        List<Peer> closer = new ArrayList<>();
        if (Arrays.equals(req.key(), self.toBytes())) {
          closer.add(contacts.selfPeer());
        }
        closer.addAll(closerPeers(req.key(), from));
        contacts
            .connectedTarget(req.key(), from)
            .filter(p -> closer.stream().noneMatch(q -> q.id().equals(p.id())))
            .ifPresent(closer::add);
        yield req.withPeers(closer, List.of());
      }
      case GET_VALUE -> {
        requireKey(req);
        Optional<RecordStore.Stored> held = records.get(req.key(), now);
        KadMessage.Record rec =
            held.map(r -> KadMessage.Record.of(r.key(), r.value(), r.received())).orElse(null);
        yield new KadMessage(
            Type.GET_VALUE, req.key(), rec, closerPeers(req.key(), from), List.of());
      }
      case PUT_VALUE -> {
        requireKey(req);
        KadMessage.Record rec = req.record();
        if (rec == null) {
          throw new KadNode.RefusedException("PUT_VALUE without a record");
        }
        if (!Arrays.equals(rec.key(), req.key())) {
          throw new KadNode.RefusedException("PUT_VALUE record key differs from the message key");
        }
        RecordStore.PutResult r = records.put(rec.key(), rec.value(), now);
        if (r == RecordStore.PutResult.FULL) {
          throw new KadNode.RefusedException(
              "record store full (" + settings.maxRecords() + " records)");
        }
        KadNode.LOG.log(Level.DEBUG, "{0}: {1} from {2}", r, rec, from);
        yield req; // js expects the request echoed, record included
      }
      case ADD_PROVIDER -> {
        requireKey(req);
        KadNode.checkMultihash(req.key());
        for (Peer p : req.providerPeers()) {
          if (!p.id().equals(from)) {
            KadNode.LOG.log(Level.DEBUG, "ignoring provider {0} announced by {1}", p.id(), from);
            continue;
          }
          List<Multiaddr> addrs = KadContacts.dialable(p.addrs());
          if (addrs.isEmpty()) {
            addrs =
                KadContacts.dialable(
                    c.identifyInfo().map(IdentifyInfo::listenAddrs).orElse(List.of()));
          }
          if (!providers.add(req.key(), from, addrs, now)) {
            KadNode.LOG.log(
                Level.INFO,
                "kad: provider cap reached, not storing {0} for {1}",
                from,
                KadKey.printable(req.key()));
          }
        }
        yield null; // no reply
      }
      case GET_PROVIDERS -> {
        requireKey(req);
        List<Peer> found = new ArrayList<>();
        for (ProviderStore.Provider p :
            providers.get(req.key(), settings.maxProvidersPerKey(), now)) {
          found.add(contacts.provider(p));
        }
        yield req.withPeers(closerPeers(req.key(), from), found);
      }
      case PING -> req;
    };
  }

  private static void requireKey(KadMessage req) {
    if (req.key().length == 0) {
      throw new KadNode.RefusedException(req.type() + " without a key");
    }
  }

  private List<Peer> closerPeers(byte[] key, PeerId exclude) {
    List<Peer> out = new ArrayList<>();
    for (RoutingTable.Entry e :
        table.closest(KadKey.of(key), settings.k(), p -> p.equals(exclude))) {
      out.add(new Peer(e.peer(), e.addrs(), contacts.connectedness(e.peer())));
    }
    return out;
  }
}
