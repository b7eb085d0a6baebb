package dev.plasm.transport.libp2p.internal.host;

import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.Connection;
import dev.plasm.transport.libp2p.IdentifyInfo;
import dev.plasm.transport.libp2p.MalformedMessageException;
import dev.plasm.transport.libp2p.Multiaddr;
import dev.plasm.transport.libp2p.Stream;
import dev.plasm.transport.libp2p.internal.codec.Delimited;
import dev.plasm.transport.libp2p.internal.codec.ProtoReader;
import dev.plasm.transport.libp2p.internal.codec.ProtoWriter;
import java.io.IOException;
import java.lang.System.Logger.Level;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;

/**
 * Direct Connection Upgrade through Relay ({@value #PROTOCOL}, libp2p/specs relay/DCUtR.md): two
 * peers joined by a relay synchronise a simultaneous open, so each NAT lets the other side in.
 *
 * <p>The peer that took the relayed connection (B, the one with the reservation) first dials the
 * other's public addresses, if it announces any; otherwise it opens the stream, sends CONNECT with
 * its observed addresses, measures the round trip until the other's CONNECT, sends SYNC and waits
 * half of it. On SYNC the other peer (A) dials B's QUIC addresses (from its listen port, as every
 * QUIC dial); B meanwhile sends datagrams of random bytes from its QUIC listen port to A's
 * addresses, so that its NAT lets A's handshake in. Up to three rounds on one stream. The direct
 * connection then wins over the relayed one, which drains.
 *
 * <p>Only QUIC is punched: TCP dials leave from ephemeral ports, so peers observe no TCP address
 * that a simultaneous open could use.
 */
final class HolePunch {
  static final String PROTOCOL = "/libp2p/dcutr";
  private static final System.Logger LOG = System.getLogger("dev.plasm.transport.libp2p.dcutr");
  static final int MAX_MESSAGE = 4096;
  static final int MAX_ADDRS = 16;
  static final int CONNECT = 100;
  static final int SYNC = 300;
  static final int ROUNDS = 3;
  private static final Duration PUNCH_WAIT = Duration.ofSeconds(6);
  private static final Duration MESSAGE_TIMEOUT = Duration.ofSeconds(10);

  private final HostCore core;
  private final QuicEndpoints quic;

  HolePunch(HostCore core, QuicEndpoints quic) {
    this.core = core;
    this.quic = quic;
  }

  // ---- B: the target of the relayed connection ----

  /** Called for every new connection; B starts upgrading an inbound relayed one. */
  void connected(Connection c) {
    if (!c.isRelayed() || c.isOutbound()) {
      return;
    }
    Thread.ofVirtual()
        .name("dcutr " + c.remotePeer())
        .start(
            () -> {
              try {
                upgrade(c);
              } catch (IOException | RuntimeException e) {
                LOG.log(
                    Level.DEBUG,
                    "dcutr: no direct connection to {0}: {1}",
                    c.remotePeer(),
                    e.toString());
              }
            });
  }

  private void upgrade(Connection relayed) throws IOException {
    PeerId peer = relayed.remotePeer();
    IdentifyInfo info;
    try {
      info = relayed.identified().get(MESSAGE_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    } catch (Exception e) {
      throw new IOException("no identify from " + peer + ": " + e);
    }
    // A peer with public direct addresses may just be dialable.
    List<Multiaddr> direct =
        info.listenAddrs().stream().filter(a -> (a.isQuic() || a.isTcp()) && isPublic(a)).toList();
    if (!direct.isEmpty()) {
      try {
        core.dial(peer, direct);
        LOG.log(Level.INFO, "dcutr: {0} dialed directly", peer);
        return;
      } catch (IOException | RuntimeException e) {
        LOG.log(Level.DEBUG, "dcutr: direct dial to {0} failed, punching: {1}", peer, e.toString());
      }
    }
    if (!hasDirect(peer)) {
      punchAsInitiator(relayed);
    }
  }

  private void punchAsInitiator(Connection relayed) throws IOException {
    PeerId peer = relayed.remotePeer();
    try (Stream s = relayed.newStream(PROTOCOL)) {
      s.setReadTimeout(MESSAGE_TIMEOUT);
      for (int round = 1; round <= ROUNDS && !hasDirect(peer); round++) {
        long t0 = System.nanoTime();
        write(s, CONNECT, ourAddrs());
        Message theirs = read(s);
        if (theirs.type() != CONNECT) {
          throw new MalformedMessageException(
              "dcutr: expected CONNECT from " + peer + ", got type " + theirs.type());
        }
        long rtt = System.nanoTime() - t0;
        write(s, SYNC, List.of());
        sleep(Duration.ofNanos(rtt / 2));
        List<InetSocketAddress> targets = quicTargets(theirs.addrs());
        if (targets.isEmpty()) {
          throw new IOException(
              "dcutr: " + peer + " sent no QUIC address to punch to: " + theirs.addrs());
        }
        long deadline = System.nanoTime() + PUNCH_WAIT.toNanos();
        List<Thread> punches = new ArrayList<>();
        for (InetSocketAddress t : targets) {
          punches.add(
              Thread.startVirtualThread(
                  () ->
                      quic.punch(
                          t,
                          (int) (PUNCH_WAIT.toMillis() / 100),
                          () -> hasDirect(peer) || System.nanoTime() > deadline)));
        }
        for (Thread t : punches) {
          t.join(PUNCH_WAIT.plusSeconds(1));
        }
        waitForDirect(peer, deadline);
        LOG.log(
            hasDirect(peer) ? Level.INFO : Level.DEBUG,
            "dcutr: round {0} with {1}: {2}",
            round,
            peer,
            hasDirect(peer) ? "direct connection" : "no direct connection yet");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  // ---- A: the dialer of the relayed connection ----

  /** The responder's side: on each SYNC, dial B's QUIC addresses. */
  void serve(Stream s) throws IOException {
    Connection c = s.connection();
    PeerId peer = c.remotePeer();
    if (!c.isRelayed()) {
      return; // nothing to upgrade
    }
    s.setReadTimeout(MESSAGE_TIMEOUT);
    for (int round = 1; round <= ROUNDS; round++) {
      Message connect = readOrEnd(s);
      if (connect == null) {
        return;
      }
      if (connect.type() != CONNECT) {
        throw new MalformedMessageException(
            "dcutr: expected CONNECT from " + peer + ", got type " + connect.type());
      }
      write(s, CONNECT, ourAddrs());
      Message sync = read(s);
      if (sync.type() != SYNC) {
        throw new MalformedMessageException(
            "dcutr: expected SYNC from " + peer + ", got type " + sync.type());
      }
      List<Multiaddr> quicAddrs = connect.addrs().stream().filter(Multiaddr::isQuic).toList();
      try {
        Connection direct = core.dial(peer, quicAddrs);
        if (!direct.isRelayed()) {
          LOG.log(Level.INFO, "dcutr: hole punched to {0} at {1}", peer, direct.remoteAddr());
          return;
        }
      } catch (IOException | RuntimeException e) {
        LOG.log(
            Level.DEBUG,
            "dcutr: round {0}: dialing {1} at {2} failed: {3}",
            round,
            peer,
            quicAddrs,
            e.toString());
      }
    }
  }

  // ---- messages ----

  record Message(int type, List<Multiaddr> addrs) {}

  private static void write(Stream s, int type, List<Multiaddr> addrs) throws IOException {
    ProtoWriter w = new ProtoWriter().varint(1, type);
    addrs.forEach(a -> w.bytes(2, a.toBytes()));
    Delimited.write(s.output(), w.toByteArray());
  }

  private static Message read(Stream s) throws IOException {
    Message m = readOrEnd(s);
    if (m == null) {
      throw new IOException("dcutr: the peer closed the stream");
    }
    return m;
  }

  private static Message readOrEnd(Stream s) throws IOException {
    byte[] raw = Delimited.readOrEnd(s.input(), MAX_MESSAGE, "dcutr message");
    if (raw == null) {
      return null;
    }
    ProtoReader r = new ProtoReader(raw);
    int type = -1;
    List<Multiaddr> addrs = new ArrayList<>();
    for (int f; (f = r.next()) != 0; ) {
      switch (f) {
        case 1 -> type = (int) r.varint();
        case 2 -> {
          byte[] b = r.bytes();
          if (addrs.size() < MAX_ADDRS) {
            try {
              addrs.add(Multiaddr.fromBytes(b));
            } catch (IllegalArgumentException e) {
              // Skipped, as identify skips addresses it cannot read.
            }
          }
        }
        default -> r.skip();
      }
    }
    return new Message(type, addrs);
  }

  /** What we tell the other side to dial: our observed addresses, then our public listen addresses. */
  private List<Multiaddr> ourAddrs() {
    Set<Multiaddr> out = new LinkedHashSet<>(core.observedAddrs().addrs(1));
    core.directListenAddrs().stream().filter(HolePunch::isPublic).forEach(out::add);
    return out.stream().limit(MAX_ADDRS).toList();
  }

  private static List<InetSocketAddress> quicTargets(List<Multiaddr> addrs) {
    List<InetSocketAddress> out = new ArrayList<>();
    for (Multiaddr a : addrs) {
      if (a.isQuic() && a.ipAddress().isPresent()) {
        try {
          out.add(a.toQuicSocketAddress());
        } catch (IOException e) {
          // Only IP addresses are taken: nothing to resolve.
        }
      }
    }
    return out;
  }

  /**
   * A globally routed IP address: not loopback, link-local, wildcard, private (RFC 1918), shared
   * (100.64.0.0/10, carrier-grade NAT) or unique-local IPv6. Behind a NAT only these can be dialed.
   */
  static boolean isPublic(Multiaddr a) {
    return a.ipAddress()
        .map(
            ip -> {
              byte[] b = ip.getAddress();
              boolean shared = b.length == 4 && (b[0] & 0xFF) == 100 && (b[1] & 0xC0) == 64;
              boolean uniqueLocal = b.length == 16 && (b[0] & 0xFE) == 0xFC;
              return !ip.isLoopbackAddress()
                  && !ip.isLinkLocalAddress()
                  && !ip.isAnyLocalAddress()
                  && !ip.isSiteLocalAddress()
                  && !ip.isMulticastAddress()
                  && !shared
                  && !uniqueLocal;
            })
        .orElse(false);
  }

  private boolean hasDirect(PeerId peer) {
    return core.connection(peer).map(c -> !c.isRelayed()).orElse(false);
  }

  private void waitForDirect(PeerId peer, long deadline) {
    while (!hasDirect(peer) && System.nanoTime() < deadline) {
      sleep(Duration.ofMillis(50));
    }
  }

  private static void sleep(Duration d) {
    try {
      Thread.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
