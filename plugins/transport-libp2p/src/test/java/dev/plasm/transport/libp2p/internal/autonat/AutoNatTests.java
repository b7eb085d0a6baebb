package dev.plasm.transport.libp2p.internal.autonat;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.identity.NodeIdentity;
import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.Connection;
import dev.plasm.transport.libp2p.Host;
import dev.plasm.transport.libp2p.Multiaddr;
import dev.plasm.transport.libp2p.Reachability;
import dev.plasm.transport.libp2p.Stream;
import dev.plasm.transport.libp2p.internal.codec.Delimited;
import dev.plasm.transport.libp2p.internal.codec.ProtoReader;
import dev.plasm.transport.libp2p.internal.codec.ProtoWriter;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** AutoNAT v1 between Java hosts on loopback: a reachable node learns it, and what a server refuses. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class AutoNatTests {
  private static final Duration LATER = Duration.ofHours(1);
  private final List<Host> hosts = new ArrayList<>();

  @AfterEach
  void closeHosts() {
    hosts.forEach(Host::close);
  }

  private Host host(boolean autonat) throws IOException {
    Host h = Host.builder().build();
    hosts.add(h);
    h.listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"));
    h.listen(Multiaddr.parse("/ip4/127.0.0.1/udp/0/quic-v1"));
    if (autonat) {
      h.startAutoNat(2, LATER, LATER);
    }
    return h;
  }

  private static Multiaddr addr(Host h) {
    return h.listenAddrs().getFirst().withPeerId(h.peerId());
  }

  @Test
  void aReachableNodeLearnsItIsPublicFromTwoDialBacks() throws Exception {
    Host s1 = host(true);
    Host s2 = host(true);
    Host a = host(true);
    assertEquals(Reachability.Status.UNKNOWN, a.reachability().status());
    Connection c1 = a.dial(addr(s1));
    Connection c2 = a.dial(addr(s2));
    c1.identified().get(10, TimeUnit.SECONDS);
    c2.identified().get(10, TimeUnit.SECONDS);
    List<Reachability> changes = new java.util.concurrent.CopyOnWriteArrayList<>();
    a.addReachabilityListener(changes::add);
    Reachability r = a.checkReachability();
    assertEquals(Reachability.Status.PUBLIC, r.status(), r.toString());
    assertTrue(r.checkedAt().isPresent());
    assertTrue(
        a.listenAddrs().containsAll(r.reachable()) && !r.reachable().isEmpty(), r.toString());
    assertEquals(
        List.of(Reachability.Status.PUBLIC), changes.stream().map(Reachability::status).toList());
    // The dial-backs came under throw-away identities: a still has one connection to each server.
    assertEquals(
        1,
        a.connections().stream()
            .filter(x -> x.remotePeer().equals(s1.peerId()) && x.isOpen())
            .count());
  }

  /** One raw DIAL to {@code server}; returns {status, statusText}. */
  private static Object[] dial(Host from, Host server, PeerId named, List<Multiaddr> addrs)
      throws IOException {
    return dial(from, addr(server), named, addrs);
  }

  static Object[] dial(Host from, Multiaddr server, PeerId named, List<Multiaddr> addrs)
      throws IOException {
    try (Stream s = from.dial(server).newStream(AutoNat.PROTOCOL)) {
      s.setReadTimeout(Duration.ofSeconds(20));
      ProtoWriter peer = new ProtoWriter().bytes(1, named.toBytes());
      addrs.forEach(a -> peer.bytes(2, a.toBytes()));
      Delimited.write(
          s.output(),
          new ProtoWriter()
              .varint(1, AutoNat.DIAL)
              .bytes(2, new ProtoWriter().bytes(1, peer.toByteArray()).toByteArray())
              .toByteArray());
      ProtoReader r = new ProtoReader(Delimited.read(s.input(), AutoNat.MAX_MESSAGE, "autonat"));
      byte[] resp = null;
      for (int f; (f = r.next()) != 0; ) {
        if (f == 3) {
          resp = r.bytes();
        } else {
          r.skip();
        }
      }
      ProtoReader rr = new ProtoReader(resp);
      Object[] out = {-1, ""};
      for (int f; (f = rr.next()) != 0; ) {
        switch (f) {
          case 1 -> out[0] = (int) rr.varint();
          case 2 -> out[1] = rr.string();
          default -> rr.skip();
        }
      }
      return out;
    }
  }

  @Test
  void jsAnswersADialRequest() throws Exception {
    try (var js = dev.plasm.transport.libp2p.testing.PeerProcess.start("--autonat")) {
      Host client = host(false);
      Object[] answer =
          dial(client, Multiaddr.parse(js.addr()), client.peerId(), client.listenAddrs());
      // js dials back neither private nor same-host addresses, and says so; a real dial-back by js
      // is checked in the network-namespace tests, where the nodes have public addresses.
      assertEquals(AutoNat.E_DIAL_REFUSED, answer[0], answer[1].toString());
      assertEquals("no dialable addresses", answer[1]);
    }
  }

  @Test
  void aServerDialsBackOnlyTheRequesterAtItsOwnIpAndNotTooOften() throws Exception {
    Host server = host(true);
    Host client = host(false);
    Object[] other = dial(client, server, NodeIdentity.ephemeral().peerId(), client.listenAddrs());
    assertEquals(AutoNat.E_BAD_REQUEST, other[0], "a request for another peer");
    Object[] elsewhere =
        dial(client, server, client.peerId(), List.of(Multiaddr.parse("/ip4/192.0.2.7/tcp/4001")));
    assertEquals(AutoNat.E_DIAL_REFUSED, elsewhere[0], "an address at another IP is never dialed");
    int deadPort;
    try (ServerSocket free = new ServerSocket(0)) {
      deadPort = free.getLocalPort();
    }
    Object[] dead =
        dial(
            client,
            server,
            client.peerId(),
            List.of(Multiaddr.parse("/ip4/127.0.0.1/tcp/" + deadPort)));
    assertEquals(AutoNat.E_DIAL_ERROR, dead[0], "nothing listens there");
    Object[] ok = dial(client, server, client.peerId(), client.listenAddrs());
    assertEquals(AutoNat.OK, ok[0], ok[1].toString());
    // Six requests within a minute are served (three counted above; the bad request is not); the
    // next ones are refused.
    for (int i = 0; i < 3; i++) {
      assertEquals(AutoNat.OK, dial(client, server, client.peerId(), client.listenAddrs())[0]);
    }
    Object[] tooMany = dial(client, server, client.peerId(), client.listenAddrs());
    assertEquals(AutoNat.E_DIAL_REFUSED, tooMany[0]);
    assertEquals("too many requests", tooMany[1]);
  }
}
