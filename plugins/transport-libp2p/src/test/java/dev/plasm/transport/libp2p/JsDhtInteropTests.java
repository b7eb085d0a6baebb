package dev.plasm.transport.libp2p;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.transport.libp2p.testing.PeerProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The Java DHT against js-libp2p's kad-dht 16.4.5 (src/test/js/peer.mjs --dht) on loopback: Java
 * enters js's routing table and answers its queries, and records and provider records move both
 * ways through a mixed network of Java and js nodes.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class JsDhtInteropTests {
  private static final HexFormat HEX = HexFormat.of();
  private final List<AutoCloseable> toClose = new ArrayList<>();

  record Node(Host host, Dht dht) {
    Multiaddr addr() {
      return host.listenAddrs().getFirst().withPeerId(host.peerId());
    }

    String id() {
      return host.peerId().toString();
    }
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (AutoCloseable c : toClose.reversed()) {
      c.close();
    }
  }

  private PeerProcess js(String protocol) throws Exception {
    PeerProcess p = PeerProcess.start("--dht", protocol);
    toClose.add(p);
    return p;
  }

  private Node java(String protocol) throws IOException {
    Host h = Host.builder().build();
    toClose.add(h);
    h.listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"));
    Dht d =
        Dht.builder(h)
            .protocol(protocol)
            .requestTimeout(Duration.ofSeconds(5))
            .queryTimeout(Duration.ofSeconds(20))
            .build();
    toClose.add(d);
    return new Node(h, d);
  }

  private static Set<String> jsRoutingTable(PeerProcess js) throws IOException {
    return ((List<?>) js.call("dhtRoutingTable").get("peers"))
        .stream().map(String::valueOf).collect(Collectors.toSet());
  }

  private static void waitUntil(String what, Duration timeout, Check check) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!check.ok()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(100);
    }
  }

  @FunctionalInterface
  interface Check {
    boolean ok() throws Exception;
  }

  private static byte[] utf8(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  /** On the public IPFS protocol id: js adds the Java node after ping and identify, and asks it. */
  @Test
  void javaEntersJsRoutingTableAndAnswersJsQueries() throws Exception {
    PeerProcess js = js(Dht.IPFS_PROTOCOL);
    Node j1 = java(Dht.IPFS_PROTOCOL);
    Node j2 = java(Dht.IPFS_PROTOCOL);
    assertEquals(1, j2.dht().bootstrap(List.of(j1.addr())), "j2 knows only j1");
    assertEquals("server", js.call("dhtMode").get("mode"));
    // Counted from here: js's own periodic self-queries may ask j1 (and so learn of j2) before
    // its findPeer does.
    long served = j1.dht().node().inboundRequests();

    // j1 bootstraps from js: a FIND_NODE answered by js puts js in j1's table, and js
    // (after identify lists the protocol, and a ping) puts j1 in its own.
    j1.dht().bootstrap(List.of(Multiaddr.parse(js.addr())));
    assertTrue(
        j1.dht().routingTable().stream().anyMatch(p -> p.peer().toString().equals(js.peerId())));
    waitUntil(
        "js's routing table holds j1",
        Duration.ofSeconds(20),
        () -> jsRoutingTable(js).contains(j1.id()));

    // js finds j2, which only j1 knows about: js must have asked j1.
    Map<String, Object> found = js.call("dhtFindPeer", Duration.ofSeconds(40), "peer", j2.id());
    assertEquals(j2.id(), found.get("peer"));
    assertTrue(
        ((List<?>) found.get("addrs")).contains(j2.host().listenAddrs().getFirst().toString()),
        found.toString());
    assertTrue(j1.dht().node().inboundRequests() > served, "j1 answered js's FIND_NODE");

    // And js's closest-peers query is answered by the Java nodes (the only other peers).
    long before = j1.dht().node().inboundRequests() + j2.dht().node().inboundRequests();
    List<?> closest =
        (List<?>)
            js.call(
                    "dhtClosestPeers",
                    Duration.ofSeconds(40),
                    "keyHex",
                    HEX.formatHex(utf8("some key")))
                .get("peers");
    assertFalse(closest.isEmpty());
    assertTrue(Set.of(j1.id(), j2.id()).containsAll(closest), closest.toString());
    assertTrue(j1.dht().node().inboundRequests() + j2.dht().node().inboundRequests() > before);
  }

  /** 2 js and 4 Java nodes on /plasm/kad/1.0.0: records and providers in both directions. */
  @Test
  void recordsAndProvidersCrossAMixedNetwork() throws Exception {
    String proto = Dht.PLASM_PROTOCOL;
    PeerProcess jsA = js(proto);
    PeerProcess jsB = js(proto);
    List<Node> java = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      java.add(java(proto));
    }
    java.get(0).dht().bootstrap(List.of(Multiaddr.parse(jsA.addr())));
    for (Node n : java.subList(1, 4)) {
      n.dht().bootstrap(List.of(java.get(0).addr()));
    }
    jsB.call("dial", "addr", java.get(2).addr().toString());
    waitUntil(
        "both js routing tables hold all four Java nodes",
        Duration.ofSeconds(40),
        () -> {
          Set<String> a = jsRoutingTable(jsA);
          Set<String> b = jsRoutingTable(jsB);
          return java.stream().allMatch(n -> a.contains(n.id()) && b.contains(n.id()));
        });
    for (Node n : java) {
      n.dht().refresh();
    }
    waitUntil(
        "Java nodes know both js nodes",
        Duration.ofSeconds(20),
        () ->
            java.stream()
                .allMatch(
                    n -> {
                      Set<String> ids =
                          n.dht().routingTable().stream()
                              .map(p -> p.peer().toString())
                              .collect(Collectors.toSet());
                      return ids.contains(jsA.peerId()) && ids.contains(jsB.peerId());
                    }));

    // Java puts, js gets.
    byte[] v1 = utf8("{\"seq\":1,\"from\":\"java\"}");
    int accepted = java.get(1).dht().putValue("/plasm/mixed/java", v1);
    assertTrue(accepted >= 4, "accepted by " + accepted + " of 5 peers (both js included)");
    for (PeerProcess js : List.of(jsA, jsB)) {
      assertEquals(
          HEX.formatHex(v1),
          js.call("dhtGet", Duration.ofSeconds(40), "key", "/plasm/mixed/java").get("valueHex"));
    }
    // js puts, Java gets (on a node that was not the writer's neighbour by chance: all of them).
    byte[] v2 = utf8("{\"seq\":1,\"from\":\"js\"}");
    jsA.call(
        "dhtPut", Duration.ofSeconds(40), "key", "/plasm/mixed/js", "valueHex", HEX.formatHex(v2));
    for (Node n : java) {
      assertArrayEquals(v2, n.dht().getValue("/plasm/mixed/js").orElseThrow(), "from " + n.id());
    }
    // js's selector and ours agree: a greater value put by Java replaces js's value everywhere.
    byte[] v3 = utf8("{\"seq\":2,\"from\":\"java\"}");
    java.get(3).dht().putValue("/plasm/mixed/js", v3);
    assertEquals(
        HEX.formatHex(v3),
        jsB.call("dhtGet", Duration.ofSeconds(40), "key", "/plasm/mixed/js").get("valueHex"));
    assertArrayEquals(v3, java.get(0).dht().getValue("/plasm/mixed/js").orElseThrow());

    // js tries to store outside /plasm/ (js puts locally without validation, then sends):
    // every Java node resets the stream and stores nothing.
    long refused = java.stream().mapToLong(n -> n.dht().node().refusedRequests()).sum();
    try {
      jsB.call("dhtPut", Duration.ofSeconds(40), "key", "/plasm/", "valueHex", "00");
    } catch (IOException expected) {
      // js reports that no peer took it; either way the Java side must have refused it.
    }
    long refusedAfter = java.stream().mapToLong(n -> n.dht().node().refusedRequests()).sum();
    assertTrue(refusedAfter > refused, "Java nodes refused the empty-name /plasm/ key");
    for (Node n : java) {
      assertTrue(n.dht().node().records().get(utf8("/plasm/"), Instant.now()).isEmpty());
    }

    // Java provides, js finds it.
    byte[] c1 = Dht.sha256Multihash(utf8("content provided by Java"));
    assertTrue(java.get(2).dht().provide(c1) >= 4);
    for (PeerProcess js : List.of(jsA, jsB)) {
      List<?> ps =
          (List<?>)
              js.call(
                      "dhtFindProviders",
                      Duration.ofSeconds(40),
                      "multihashHex",
                      HEX.formatHex(c1),
                      "max",
                      1)
                  .get("providers");
      assertEquals(1, ps.size(), ps.toString());
      Map<?, ?> p = (Map<?, ?>) ps.getFirst();
      assertEquals(java.get(2).id(), p.get("peer"));
      assertTrue(
          ((List<?>) p.get("addrs"))
              .contains(java.get(2).host().listenAddrs().getFirst().toString()),
          p.toString());
    }
    // js provides, Java finds it.
    byte[] c2 = Dht.sha256Multihash(utf8("content provided by js"));
    jsB.call("dhtProvide", Duration.ofSeconds(40), "multihashHex", HEX.formatHex(c2));
    for (Node n : java) {
      List<Dht.PeerInfo> ps = n.dht().findProviders(c2, 3);
      assertEquals(
          List.of(jsB.peerId()),
          ps.stream().map(p -> p.peer().toString()).toList(),
          "from " + n.id());
      assertFalse(ps.getFirst().addrs().isEmpty());
      // The address js gave is dialable.
      assertEquals(
          jsB.peerId(),
          n.host().dial(ps.getFirst().dialAddr().orElseThrow()).remotePeer().toString());
    }
  }
}
