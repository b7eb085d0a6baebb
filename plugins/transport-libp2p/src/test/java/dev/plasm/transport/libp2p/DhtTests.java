package dev.plasm.transport.libp2p;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.internal.codec.Varint;
import dev.plasm.transport.libp2p.internal.kad.KadMessage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Java-only DHT networks on loopback: bootstrap, peer routing, records, providers, caps, upkeep. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DhtTests {
  private final List<AutoCloseable> toClose = new ArrayList<>();

  record Node(Host host, Dht dht) {
    Multiaddr addr() {
      return host.listenAddrs().getFirst().withPeerId(host.peerId());
    }
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (AutoCloseable c : toClose.reversed()) {
      c.close();
    }
  }

  private Node node(UnaryOperator<Dht.Builder> config) throws IOException {
    Host h = Host.builder().build();
    toClose.add(h);
    h.listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"));
    Dht d =
        config
            .apply(
                Dht.builder(h)
                    .requestTimeout(Duration.ofSeconds(5))
                    .queryTimeout(Duration.ofSeconds(20)))
            .build();
    toClose.add(d);
    return new Node(h, d);
  }

  /** {@code n} nodes; each but the first bootstraps from the first, in parallel. */
  private List<Node> network(int n, UnaryOperator<Dht.Builder> config) throws Exception {
    List<Node> nodes = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      nodes.add(node(config));
    }
    Multiaddr seed = nodes.getFirst().addr();
    List<Thread> boots = new ArrayList<>();
    for (Node x : nodes.subList(1, n)) {
      boots.add(Thread.startVirtualThread(() -> x.dht().bootstrap(List.of(seed))));
    }
    for (Thread t : boots) {
      t.join();
    }
    return nodes;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void twentyNodesBootstrapFromOneAndFindEveryOtherPeer() throws Exception {
    List<Node> nodes = network(20, b -> b);
    for (Node x : nodes) {
      assertTrue(
          x.dht().routingTable().size() >= 10,
          x + " has " + x.dht().routingTable().size() + " peers");
      assertFalse(
          x.dht().routingTable().stream().anyMatch(p -> p.peer().equals(x.host().peerId())));
    }
    for (Node from : nodes) {
      for (Node to : nodes) {
        if (from == to) {
          continue;
        }
        Dht.PeerInfo found =
            from.dht()
                .findPeer(to.host().peerId())
                .orElseThrow(
                    () ->
                        new AssertionError(
                            from.host().peerId() + " did not find " + to.host().peerId()));
        assertEquals(to.host().listenAddrs().getFirst(), found.addrs().getFirst());
      }
    }
    // The found address really is the peer: dial it.
    Node a = nodes.get(7);
    Node b = nodes.get(13);
    Connection c =
        a.host().dial(a.dht().findPeer(b.host().peerId()).orElseThrow().dialAddr().orElseThrow());
    assertEquals(b.host().peerId(), c.remotePeer());
    // closestPeers returns answering peers sorted by XOR distance.
    byte[] key = utf8("/plasm/closest");
    List<Dht.PeerInfo> closest = a.dht().closestPeers(key);
    assertTrue(closest.size() >= 15, closest.toString());
    List<PeerId> ids =
        nodes.stream()
            .map(n -> n.host().peerId())
            .filter(p -> !p.equals(a.host().peerId()))
            .sorted((p, q) -> internalDistanceCompare(key, p, q))
            .limit(closest.size())
            .toList();
    assertEquals(ids, closest.stream().map(Dht.PeerInfo::peer).toList());
  }

  private static int internalDistanceCompare(byte[] key, PeerId p, PeerId q) {
    var t = dev.plasm.transport.libp2p.internal.kad.KadKey.of(key);
    return t.compareDistance(
        dev.plasm.transport.libp2p.internal.kad.KadKey.of(p),
        dev.plasm.transport.libp2p.internal.kad.KadKey.of(q));
  }

  @Test
  void smallBucketsStillFindEveryPeerThroughMultiHopLookups() throws Exception {
    // k = 4 keeps most peers out of each table (so lookups are multi-hop) while every lookup still
    // converges; with k = 2 reachability depended on the random peer ids.
    List<Node> nodes = network(14, b -> b.k(4).alpha(2));
    int lookedUp = 0;
    for (Node from : nodes) {
      for (Node to : nodes) {
        if (from == to) {
          continue;
        }
        boolean known =
            from.dht().routingTable().stream().anyMatch(p -> p.peer().equals(to.host().peerId()));
        lookedUp += known ? 0 : 1;
        Optional<Dht.PeerInfo> f = from.dht().findPeer(to.host().peerId());
        assertTrue(f.isPresent(), from.host().peerId() + " -> " + to.host().peerId());
        assertEquals(to.host().listenAddrs().getFirst(), f.get().addrs().getFirst());
      }
    }
    assertTrue(
        lookedUp > 10,
        "with k = 4 many peers are not in the table, so the network was searched: " + lookedUp);
  }

  @Test
  void recordsAndProvidersPropagateAcrossTwentyNodes() throws Exception {
    List<Node> nodes = network(20, b -> b);
    Node writer = nodes.get(5);
    byte[] value = utf8("{\"seq\":1,\"job\":\"wasm\"}");
    int accepted = writer.dht().putValue("/plasm/job/1", value);
    assertTrue(accepted >= 15, "accepted by " + accepted);
    for (Node n : nodes) {
      assertArrayEquals(
          value, n.dht().getValue("/plasm/job/1").orElseThrow(), "from " + n.host().peerId());
    }
    // A greater value wins over the older one everywhere.
    byte[] newer = utf8("{\"seq\":2,\"job\":\"wasm\"}");
    nodes.get(11).dht().putValue("/plasm/job/1", newer);
    for (Node n : nodes) {
      assertArrayEquals(newer, n.dht().getValue("/plasm/job/1").orElseThrow());
    }
    assertTrue(nodes.get(3).dht().getValue("/plasm/missing").isEmpty());

    byte[] content = Dht.sha256Multihash(utf8("some wasm module"));
    Node provider = nodes.get(9);
    assertTrue(provider.dht().provide(content) >= 15);
    for (Node n : nodes) {
      List<Dht.PeerInfo> ps = n.dht().findProviders(content, 5);
      assertEquals(
          List.of(provider.host().peerId()),
          ps.stream().map(Dht.PeerInfo::peer).toList(),
          "from " + n.host().peerId());
      assertEquals(provider.host().listenAddrs().getFirst(), ps.getFirst().addrs().getFirst());
    }
    Node second = nodes.get(17);
    second.dht().provide(content);
    Set<PeerId> both = new HashSet<>();
    nodes.getFirst().dht().findProviders(content, 5).forEach(p -> both.add(p.peer()));
    assertEquals(Set.of(provider.host().peerId(), second.host().peerId()), both);
    assertTrue(nodes.get(2).dht().findProviders(Dht.sha256Multihash(utf8("nobody")), 5).isEmpty());
  }

  @Test
  void otherNamespacesAndOversizedRecordsAreRefused() throws Exception {
    List<Node> nodes = network(3, b -> b.maxValueSize(1024));
    Node a = nodes.get(0);
    Node b = nodes.get(1);
    IllegalArgumentException local =
        assertThrows(IllegalArgumentException.class, () -> a.dht().putValue("/other/x", utf8("v")));
    assertTrue(local.getMessage().contains("outside the /plasm/ namespace"), local.getMessage());
    assertThrows(
        IllegalArgumentException.class, () -> a.dht().putValue("/plasm/big", new byte[1025]));
    assertThrows(IllegalArgumentException.class, () -> a.dht().getValue("/pk/x"));
    assertThrows(IllegalArgumentException.class, () -> a.dht().provide(new byte[] {0x12, 0x20, 1}));

    // Raw PUT_VALUEs from a to b: b resets the stream and stores nothing.
    for (String key : List.of("/other/x", "/plasm/big")) {
      byte[] v = key.equals("/plasm/big") ? new byte[1025] : utf8("v");
      KadMessage put =
          new KadMessage(
              KadMessage.Type.PUT_VALUE,
              utf8(key),
              KadMessage.Record.of(utf8(key), v, Instant.now()),
              List.of(),
              List.of());
      long refusedBefore = b.dht().node().refusedRequests();
      try (Stream s = a.host().dial(b.addr()).newStream(Dht.PLASM_PROTOCOL)) {
        s.setReadTimeout(Duration.ofSeconds(10));
        s.output().write(frame(put.encode()));
        s.output().flush();
        assertThrows(
            IOException.class,
            () -> {
              if (s.input().read() < 0) {
                throw new IOException("closed");
              }
            },
            "a refused PUT_VALUE gets no reply");
      }
      assertEquals(refusedBefore + 1, b.dht().node().refusedRequests());
      assertEquals(0, b.dht().node().records().size());
    }
    // An accepted one is echoed, record included.
    KadMessage ok =
        new KadMessage(
            KadMessage.Type.PUT_VALUE,
            utf8("/plasm/ok"),
            KadMessage.Record.of(utf8("/plasm/ok"), utf8("v"), Instant.now()),
            List.of(),
            List.of());
    try (Stream s = a.host().dial(b.addr()).newStream(Dht.PLASM_PROTOCOL)) {
      s.setReadTimeout(Duration.ofSeconds(10));
      s.output().write(frame(ok.encode()));
      s.output().flush();
      long n = Varint.read(s.input());
      KadMessage echo = KadMessage.decode(s.input().readNBytes((int) n));
      assertEquals(ok.record().key().length, echo.record().key().length);
      assertArrayEquals(utf8("v"), echo.record().value());
    }
    assertArrayEquals(utf8("v"), b.dht().getValue("/plasm/ok").orElseThrow());
    // A message over the size cap resets too.
    try (Stream s = a.host().dial(b.addr()).newStream(Dht.PLASM_PROTOCOL)) {
      s.setReadTimeout(Duration.ofSeconds(10));
      s.output().write(Varint.encode(10_000_000));
      s.output().flush();
      assertThrows(
          IOException.class,
          () -> {
            if (s.input().read() < 0) {
              throw new IOException("closed");
            }
          });
    }
  }

  @Test
  void inboundStreamsAreCapped() throws Exception {
    Node a = node(b -> b);
    Node b = node(x -> x.maxInboundStreams(2));
    Connection c = a.host().dial(b.addr());
    List<Stream> idle = new ArrayList<>();
    for (int i = 0; i < 2; i++) {
      idle.add(c.newStream(Dht.PLASM_PROTOCOL)); // open, sending nothing
    }
    Thread.sleep(300); // both handlers are running and hold the two permits
    try (Stream third = c.newStream(Dht.PLASM_PROTOCOL)) {
      third.setReadTimeout(Duration.ofSeconds(10));
      // The handler resets the stream right after negotiating it, so the reset may already be here
      // when we write: the write or the read fails.
      assertThrows(
          IOException.class,
          () -> {
            third
                .output()
                .write(
                    frame(
                        KadMessage.request(KadMessage.Type.FIND_NODE, a.host().peerId().toBytes())
                            .encode()));
            third.output().flush();
            if (third.input().read() < 0) {
              throw new IOException("closed");
            }
          });
    }
    assertEquals(1, b.dht().node().refusedRequests());
    idle.forEach(Stream::close);
    // Once the idle streams are gone, requests are served again.
    HostTests.waitFor(
        () -> {
          try (Stream s = c.newStream(Dht.PLASM_PROTOCOL)) {
            s.setReadTimeout(Duration.ofSeconds(5));
            s.output()
                .write(
                    frame(
                        KadMessage.request(KadMessage.Type.FIND_NODE, a.host().peerId().toBytes())
                            .encode()));
            s.output().flush();
            return Varint.read(s.input()) > 0 ? true : null;
          } catch (IOException e) {
            return null;
          }
        });
  }

  @Test
  void republishKeepsRecordsAliveAndTheyExpireOnceThePublisherStops() throws Exception {
    UnaryOperator<Dht.Builder> fast =
        b ->
            b.recordTtl(Duration.ofMillis(1500))
                .providerTtl(Duration.ofMillis(1500))
                .republishInterval(Duration.ofMillis(400));
    List<Node> nodes = network(4, fast);
    Node publisher = nodes.get(1);
    Node reader = nodes.get(2);
    byte[] content = Dht.sha256Multihash(utf8("republished"));
    publisher.dht().putValue("/plasm/live", utf8("v"));
    publisher.dht().provide(content);
    Thread.sleep(3000); // twice the TTL: only republishing keeps them
    assertArrayEquals(
        utf8("v"),
        reader
            .dht()
            .node()
            .records()
            .get(utf8("/plasm/live"), Instant.now())
            .orElseThrow()
            .value());
    assertEquals(
        List.of(publisher.host().peerId()),
        reader.dht().findProviders(content, 5).stream().map(Dht.PeerInfo::peer).toList());

    publisher.dht().close(); // stops republishing (the host still answers, without the DHT)
    Thread.sleep(2500);
    assertTrue(reader.dht().node().records().get(utf8("/plasm/live"), Instant.now()).isEmpty());
    assertTrue(reader.dht().getValue("/plasm/live").isEmpty());
    assertTrue(reader.dht().findProviders(content, 5).isEmpty());
  }

  @Test
  void periodicRefreshRefillsTheRoutingTable() throws Exception {
    List<Node> nodes = network(6, b -> b);
    Node seed = nodes.getFirst();
    Node forgetful = node(b -> b.refreshInterval(Duration.ofMillis(300)));
    forgetful.dht().bootstrap(List.of(seed.addr()));
    assertEquals(6, forgetful.dht().routingTable().size());
    // Forget everyone but the seed (as after evictions); connections stay, so identify adds nobody.
    for (Dht.PeerInfo p : forgetful.dht().routingTable()) {
      if (!p.peer().equals(seed.host().peerId())) {
        assertTrue(forgetful.dht().node().routingTable().remove(p.peer()));
      }
    }
    assertEquals(1, forgetful.dht().routingTable().size());
    HostTests.waitFor(() -> forgetful.dht().routingTable().size() == 6 ? true : null);
  }

  @Test
  void aClientModeNodeLooksUpButIsInNoTableAndIsStillFoundThroughAPeerItIsConnectedTo()
      throws Exception {
    List<Node> nodes = network(5, b -> b);
    Node client = node(b -> b);
    client.dht().setServerMode(false);
    assertFalse(
        client.host().protocols().contains(Dht.PLASM_PROTOCOL),
        "a client does not announce the protocol");
    client.dht().bootstrap(List.of(nodes.getFirst().addr()));
    assertEquals(5, client.dht().routingTable().size(), "the client knows the servers");
    byte[] v = utf8("{\"seq\":1}");
    assertTrue(
        client.dht().putValue("/plasm/from-client", v) >= 1, "a client's put reaches servers");
    assertArrayEquals(v, nodes.get(3).dht().getValue("/plasm/from-client").orElseThrow());
    for (Node n : nodes) {
      assertFalse(
          n.dht().routingTable().stream().anyMatch(p -> p.peer().equals(client.host().peerId())),
          "no server keeps a client in its table");
    }
    // Found anyway: the seed is connected to it and answers FIND_NODE with its addresses.
    Node other = nodes.get(4);
    Dht.PeerInfo found = other.dht().findPeer(client.host().peerId()).orElseThrow();
    assertEquals(client.host().listenAddrs().getFirst(), found.addrs().getFirst());
    // Back to server mode: identify push tells the connected servers, which add it again.
    client.dht().setServerMode(true);
    HostTests.waitUntil(
        () ->
            nodes.getFirst().dht().routingTable().stream()
                .anyMatch(p -> p.peer().equals(client.host().peerId())),
        "the seed adds the server again");
  }

  private static byte[] frame(byte[] message) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(Varint.encode(message.length));
    out.writeBytes(message);
    return out.toByteArray();
  }
}
