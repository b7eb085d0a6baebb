package dev.plasm.transport.libp2p.internal.autonat;

import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.Connection;
import dev.plasm.transport.libp2p.MalformedMessageException;
import dev.plasm.transport.libp2p.Multiaddr;
import dev.plasm.transport.libp2p.Reachability;
import dev.plasm.transport.libp2p.Stream;
import dev.plasm.transport.libp2p.internal.codec.Delimited;
import dev.plasm.transport.libp2p.internal.codec.ProtoReader;
import dev.plasm.transport.libp2p.internal.codec.ProtoWriter;
import dev.plasm.transport.libp2p.internal.host.HostCore;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetAddress;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Deque;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Semaphore;
import java.util.function.Consumer;

/**
 * AutoNAT v1 ({@value #PROTOCOL}, libp2p/specs autonat/autonat-v1.md): peers dial us back at the
 * addresses we name, and we do it for them.
 *
 * <p>Serving: the requester must name itself; only its addresses at the IP it connects from are
 * dialed (never a third party), by {@link HostCore#probe} (a fresh connection under a throw-away
 * identity, closed at once); at most {@value #MAX_CONCURRENT_DIALBACKS} dial-backs at once and
 * {@value #MAX_REQUESTS_PER_MINUTE} requests per peer per minute. Relayed connections are refused.
 *
 * <p>Asking: up to {@value #MAX_SERVERS} connected peers that serve the protocol are asked in
 * parallel to dial our listen and observed addresses; {@code confidence} agreeing answers decide
 * {@link Reachability.Status#PUBLIC} (any dial-back worked) or {@link Reachability.Status#PRIVATE}
 * (all failed). Checks repeat every {@code interval}, every minute while undecided.
 */
public final class AutoNat implements AutoCloseable {
  public static final String PROTOCOL = "/libp2p/autonat/1.0.0";
  private static final System.Logger LOG = System.getLogger("dev.plasm.transport.libp2p.autonat");
  static final int MAX_MESSAGE = 8 * 1024;
  static final int MAX_ADDRS = 16;
  static final int MAX_SERVERS = 4;
  static final int MAX_CONCURRENT_DIALBACKS = 4;
  static final int MAX_REQUESTS_PER_MINUTE = 6;
  static final int MAX_DIALBACK_ADDRS = 4;
  private static final Duration UNDECIDED_INTERVAL = Duration.ofMinutes(1);
  private static final Duration ANSWER_TIMEOUT = Duration.ofSeconds(30);

  static final int DIAL = 0;
  static final int DIAL_RESPONSE = 1;
  static final int OK = 0;
  static final int E_DIAL_ERROR = 100;
  static final int E_DIAL_REFUSED = 101;
  static final int E_BAD_REQUEST = 200;
  static final int E_INTERNAL_ERROR = 300;

  private final HostCore core;
  private final int confidence;
  private final Duration interval;
  private final Semaphore dialBacks = new Semaphore(MAX_CONCURRENT_DIALBACKS);
  private final Map<PeerId, Deque<Long>> requests = new ConcurrentHashMap<>();
  private final List<Consumer<Reachability>> listeners = new CopyOnWriteArrayList<>();
  private final Object checkLock = new Object();
  private final java.util.concurrent.atomic.AtomicLong answered =
      new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong dialedBack =
      new java.util.concurrent.atomic.AtomicLong();
  private volatile Reachability current = Reachability.UNKNOWN;
  private volatile boolean closed;
  private Thread loop;

  /**
   * @param confidence agreeing answers needed to decide (at least 1)
   * @param interval time between checks once decided
   */
  public AutoNat(HostCore core, int confidence, Duration interval) {
    if (confidence < 1) {
      throw new IllegalArgumentException(
          "AutoNAT confidence must be at least 1, not " + confidence);
    }
    this.core = core;
    this.confidence = confidence;
    this.interval = interval;
  }

  /** Serves the protocol and starts checking (the first check once peers that serve it are connected). */
  public void start(Duration firstCheck) {
    core.setHandler(PROTOCOL, this::serve);
    loop =
        Thread.ofVirtual()
            .name("autonat " + core.peerId())
            .start(
                () -> {
                  Duration wait = firstCheck;
                  while (!closed) {
                    try {
                      Thread.sleep(wait);
                    } catch (InterruptedException e) {
                      return;
                    }
                    try {
                      Reachability r = check();
                      wait =
                          r.status() == Reachability.Status.UNKNOWN ? UNDECIDED_INTERVAL : interval;
                    } catch (RuntimeException e) {
                      LOG.log(Level.WARNING, "autonat: check failed: {0}", e.toString());
                      wait = UNDECIDED_INTERVAL;
                    }
                  }
                });
  }

  public Reachability reachability() {
    Reachability r = current;
    return new Reachability(
        r.status(), r.reachable(), core.observedAddrs().addrs(1), r.checkedAt());
  }

  /** Dial requests from peers answered so far, and how many of them with a dial-back that worked. */
  public long[] served() {
    return new long[] {answered.get(), dialedBack.get()};
  }

  /** Called (on the checking thread) whenever the status changes. */
  public void addListener(Consumer<Reachability> l) {
    listeners.add(l);
  }

  // ---- asking ----

  /** Asks connected peers to dial us back now; returns (and keeps) what their answers decide. */
  public Reachability check() {
    synchronized (checkLock) {
      List<Connection> servers = new ArrayList<>();
      for (Connection c : core.connections()) {
        if (c.isOpen()
            && !c.isRelayed()
            && c.identifyInfo().map(i -> i.protocols().contains(PROTOCOL)).orElse(false)
            && servers.stream().noneMatch(x -> x.remotePeer().equals(c.remotePeer()))) {
          servers.add(c);
        }
      }
      Collections.shuffle(servers);
      servers = servers.subList(0, Math.min(MAX_SERVERS, servers.size()));
      List<Multiaddr> addrs = addrsToCheck();
      if (servers.isEmpty() || addrs.isEmpty()) {
        return reachability();
      }
      List<Answer> answers = Collections.synchronizedList(new ArrayList<>());
      List<Thread> threads = new ArrayList<>();
      for (Connection c : servers) {
        threads.add(
            Thread.startVirtualThread(
                () -> {
                  try {
                    answers.add(ask(c, addrs));
                  } catch (IOException | RuntimeException e) {
                    LOG.log(
                        Level.DEBUG,
                        "autonat: {0} did not answer: {1}",
                        c.remotePeer(),
                        e.toString());
                  }
                }));
      }
      for (Thread t : threads) {
        try {
          t.join(ANSWER_TIMEOUT.plusSeconds(5));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
      decide(List.copyOf(answers));
      return reachability();
    }
  }

  private record Answer(PeerId server, int status, String text, Multiaddr addr) {}

  private List<Multiaddr> addrsToCheck() {
    Set<Multiaddr> ask = new LinkedHashSet<>();
    for (Multiaddr a : core.directListenAddrs()) {
      if (a.isTcp() || a.isQuic()) {
        ask.add(a);
      }
    }
    ask.addAll(core.observedAddrs().addrs(1));
    return ask.stream().limit(MAX_ADDRS).toList();
  }

  private Answer ask(Connection c, List<Multiaddr> addrs) throws IOException {
    try (Stream s = c.newStream(PROTOCOL)) {
      s.setReadTimeout(ANSWER_TIMEOUT);
      ProtoWriter peer = new ProtoWriter().bytes(1, core.peerId().toBytes());
      addrs.forEach(a -> peer.bytes(2, a.toBytes()));
      byte[] dial = new ProtoWriter().bytes(1, peer.toByteArray()).toByteArray();
      Delimited.write(s.output(), new ProtoWriter().varint(1, DIAL).bytes(2, dial).toByteArray());
      byte[] raw = Delimited.read(s.input(), MAX_MESSAGE, "autonat message");
      ProtoReader r = new ProtoReader(raw);
      long type = -1;
      byte[] resp = null;
      for (int f; (f = r.next()) != 0; ) {
        switch (f) {
          case 1 -> type = r.varint();
          case 3 -> resp = r.bytes();
          default -> r.skip();
        }
      }
      if (type != DIAL_RESPONSE || resp == null) {
        throw new MalformedMessageException(
            "autonat: " + c.remotePeer() + " answered without a DIAL_RESPONSE");
      }
      ProtoReader rr = new ProtoReader(resp);
      int status = -1;
      String text = "";
      Multiaddr addr = null;
      for (int f; (f = rr.next()) != 0; ) {
        switch (f) {
          case 1 -> status = (int) rr.varint();
          case 2 -> text = rr.string();
          case 3 -> {
            try {
              addr = Multiaddr.fromBytes(rr.bytes());
            } catch (IllegalArgumentException e) {
              // An address we cannot read; the status still counts.
            }
          }
          default -> rr.skip();
        }
      }
      LOG.log(Level.DEBUG, "autonat: {0} answered {1} {2} {3}", c.remotePeer(), status, text, addr);
      return new Answer(c.remotePeer(), status, text, addr);
    }
  }

  private void decide(List<Answer> answers) {
    List<Multiaddr> ok =
        answers.stream()
            .filter(a -> a.status() == OK && a.addr() != null)
            .map(Answer::addr)
            .distinct()
            .toList();
    long okCount = answers.stream().filter(a -> a.status() == OK).count();
    long failed = answers.stream().filter(a -> a.status() == E_DIAL_ERROR).count();
    Reachability.Status next;
    if (okCount >= confidence) {
      next = Reachability.Status.PUBLIC;
    } else if (failed >= confidence && okCount == 0) {
      next = Reachability.Status.PRIVATE;
    } else {
      return; // not enough agreement: keep what we had
    }
    Reachability previous = current;
    current =
        new Reachability(
            next,
            next == Reachability.Status.PUBLIC ? ok : List.of(),
            List.of(),
            Optional.of(Instant.now()));
    if (previous.status() != next) {
      LOG.log(
          Level.INFO,
          "autonat: this node is {0} ({1} dial-backs worked, {2} failed)",
          next,
          okCount,
          failed);
      Reachability now = reachability();
      listeners.forEach(l -> l.accept(now));
    }
  }

  // ---- serving ----

  private void serve(Stream s) throws IOException {
    Connection c = s.connection();
    PeerId from = c.remotePeer();
    s.setReadTimeout(Duration.ofSeconds(10));
    byte[] raw = Delimited.read(s.input(), MAX_MESSAGE, "autonat message");
    long type = -1;
    byte[] dial = null;
    ProtoReader r = new ProtoReader(raw);
    for (int f; (f = r.next()) != 0; ) {
      switch (f) {
        case 1 -> type = r.varint();
        case 2 -> dial = r.bytes();
        default -> r.skip();
      }
    }
    if (type != DIAL || dial == null) {
      respond(s, E_BAD_REQUEST, "expected a DIAL message", null);
      return;
    }
    PeerId named = null;
    List<Multiaddr> addrs = new ArrayList<>();
    ProtoReader d = new ProtoReader(dial);
    for (int f; (f = d.next()) != 0; ) {
      if (f == 1) {
        ProtoReader p = new ProtoReader(d.bytes());
        for (int g; (g = p.next()) != 0; ) {
          switch (g) {
            case 1 -> named = PeerId.fromBytes(p.bytes());
            case 2 -> {
              byte[] b = p.bytes();
              if (addrs.size() < MAX_ADDRS) {
                try {
                  addrs.add(Multiaddr.fromBytes(b));
                } catch (IllegalArgumentException e) {
                  // Skipped, as identify skips addresses it cannot read.
                }
              }
            }
            default -> p.skip();
          }
        }
      } else {
        d.skip();
      }
    }
    if (named != null && !named.equals(from)) {
      respond(s, E_BAD_REQUEST, "the dial request names another peer", null);
      return;
    }
    if (c.isRelayed()) {
      respond(s, E_DIAL_REFUSED, "no dial-backs for relayed connections", null);
      return;
    }
    if (!withinRate(from)) {
      respond(s, E_DIAL_REFUSED, "too many requests", null);
      return;
    }
    InetAddress seen = c.remoteAddr().ipAddress().orElse(null);
    List<Multiaddr> candidates =
        addrs.stream()
            .filter(
                a ->
                    (a.isTcp() || a.isQuic())
                        && seen != null
                        && seen.equals(a.ipAddress().orElse(null)))
            .map(Multiaddr::withoutPeerId)
            .distinct()
            .limit(MAX_DIALBACK_ADDRS)
            .toList();
    if (candidates.isEmpty()) {
      respond(s, E_DIAL_REFUSED, "no address at the IP the request came from", null);
      return;
    }
    if (!dialBacks.tryAcquire()) {
      respond(s, E_DIAL_REFUSED, "busy", null);
      return;
    }
    try {
      for (Multiaddr a : candidates) {
        try {
          core.probe(a, from);
          respond(s, OK, "dialed back", a);
          return;
        } catch (IOException | RuntimeException e) {
          LOG.log(
              Level.DEBUG, "autonat: dial-back to {0} at {1} failed: {2}", from, a, e.toString());
        }
      }
      respond(s, E_DIAL_ERROR, "no dial-back worked", null);
    } finally {
      dialBacks.release();
    }
  }

  private boolean withinRate(PeerId peer) {
    long now = System.nanoTime();
    Deque<Long> times = requests.computeIfAbsent(peer, k -> new ArrayDeque<>());
    synchronized (times) {
      while (!times.isEmpty() && now - times.peekFirst() > 60_000_000_000L) {
        times.removeFirst();
      }
      if (times.size() >= MAX_REQUESTS_PER_MINUTE) {
        return false;
      }
      times.addLast(now);
      return true;
    }
  }

  private void respond(Stream s, int status, String text, Multiaddr addr) throws IOException {
    answered.incrementAndGet();
    if (status == OK) {
      dialedBack.incrementAndGet();
    }
    ProtoWriter resp = new ProtoWriter().varint(1, status).string(2, text);
    if (addr != null) {
      resp.bytes(3, addr.toBytes());
    }
    Delimited.write(
        s.output(),
        new ProtoWriter().varint(1, DIAL_RESPONSE).bytes(3, resp.toByteArray()).toByteArray());
    s.closeWrite();
  }

  @Override
  public void close() {
    closed = true;
    if (loop != null) {
      loop.interrupt();
    }
    core.removeHandler(PROTOCOL);
  }
}
