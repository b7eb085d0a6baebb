package dev.plasm.transport.libp2p;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.testing.PeerProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A mixed DHT network on loopback: 20 Java nodes and 2 js-libp2p kad-dht nodes all bootstrap from
 * one Java node, then every node looks up every other node, and provider records announced by a
 * Java node and by a js node are found from every other node.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class MixedNetworkTests {
  private static final int JAVA_NODES = 20;
  private static final HexFormat HEX = HexFormat.of();
  private static final Duration JS_CALL = Duration.ofSeconds(40);

  private final List<AutoCloseable> toClose = new ArrayList<>();

  record Node(Host host, Dht dht) {
    Multiaddr addr() {
      return host.listenAddrs().getFirst().withPeerId(host.peerId());
    }

    String id() {
      return host.peerId().toString();
    }
  }

  /** A js node and what the Java side needs to know about it. */
  record Js(PeerProcess peer, PeerId id, Multiaddr listenAddr) {
    static Js of(PeerProcess peer) {
      Multiaddr full = Multiaddr.parse(peer.addr());
      String text = full.toString();
      String bare = text.substring(0, text.indexOf("/p2p/"));
      return new Js(peer, PeerId.parse(peer.peerId()), Multiaddr.parse(bare));
    }
  }

  @AfterEach
  void cleanUp() throws Exception {
    // Reversed: DHTs before their hosts, and every js process is closed (then killed) too.
    Exception first = null;
    for (AutoCloseable c : toClose.reversed()) {
      try {
        c.close();
      } catch (Exception e) {
        if (first == null) {
          first = e;
        }
      }
    }
    toClose.clear();
    if (first != null) {
      throw first;
    }
  }

  private Node java() throws IOException {
    Host h = Host.builder().build();
    toClose.add(h);
    h.listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"));
    Dht d =
        Dht.builder(h)
            .requestTimeout(Duration.ofSeconds(10))
            .queryTimeout(Duration.ofSeconds(30))
            .build();
    toClose.add(d);
    return new Node(h, d);
  }

  private Js js() throws Exception {
    PeerProcess p = PeerProcess.start("--dht", Dht.PLASM_PROTOCOL);
    toClose.add(p);
    return Js.of(p);
  }

  private static Set<String> jsRoutingTable(PeerProcess js) throws IOException {
    return ((List<?>) js.call("dhtRoutingTable").get("peers"))
        .stream().map(String::valueOf).collect(Collectors.toSet());
  }

  private static Set<String> javaRoutingTable(Node n) {
    return n.dht().routingTable().stream()
        .map(p -> p.peer().toString())
        .collect(Collectors.toSet());
  }

  private static void waitUntil(String what, Duration timeout, Check check) throws Exception {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!check.ok()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(200);
    }
  }

  @FunctionalInterface
  interface Check {
    boolean ok() throws Exception;
  }

  @FunctionalInterface
  interface Task {
    void run() throws Exception;
  }

  /** Runs the tasks on virtual threads and fails with every failure's message, not just the first. */
  private static void inParallel(String what, List<Task> tasks) throws InterruptedException {
    ConcurrentLinkedQueue<String> failures = new ConcurrentLinkedQueue<>();
    List<Thread> threads = new ArrayList<>();
    for (Task t : tasks) {
      threads.add(
          Thread.startVirtualThread(
              () -> {
                try {
                  t.run();
                } catch (Throwable e) {
                  failures.add(String.valueOf(e.getMessage()));
                }
              }));
    }
    for (Thread t : threads) {
      t.join();
    }
    if (!failures.isEmpty()) {
      throw new AssertionError(
          what
              + ": "
              + failures.size()
              + " of "
              + tasks.size()
              + " failed:\n  "
              + String.join("\n  ", failures));
    }
  }

  @Test
  void twentyJavaAndTwoJsNodesBootstrapFromOneAndFindEachOtherAndAProvider() throws Exception {
    List<Js> js = List.of(js(), js());
    List<Node> java = new ArrayList<>();
    for (int i = 0; i < JAVA_NODES; i++) {
      java.add(java());
    }
    Node seed = java.getFirst();
    Set<String> all = new java.util.HashSet<>();
    java.forEach(n -> all.add(n.id()));
    js.forEach(j -> all.add(j.id().toString()));
    assertEquals(JAVA_NODES + 2, all.size());

    // Everyone bootstraps from the seed only, at the same time: 19 Java FIND_NODE(self) lookups,
    // and 2 js dials (js's kad-dht then queries itself through the seed).
    List<Task> boots = new ArrayList<>();
    for (Node n : java.subList(1, JAVA_NODES)) {
      boots.add(
          () -> assertTrue(n.dht().bootstrap(List.of(seed.addr())) >= 1, n + " bootstrapped"));
    }
    for (Js j : js) {
      boots.add(
          () ->
              assertEquals(
                  seed.id(), j.peer().call("dial", "addr", seed.addr().toString()).get("peer")));
    }
    inParallel("bootstrap from the seed", boots);

    // The seed is the one node every other node contacted: it must know all 21 (the js nodes
    // enter once their identify lists the DHT protocol), and both js tables must hold the seed.
    waitUntil(
        "the seed's routing table holds all 21 other nodes",
        Duration.ofSeconds(40),
        () -> {
          Set<String> t = javaRoutingTable(seed);
          return all.stream().filter(id -> !id.equals(seed.id())).allMatch(t::contains);
        });
    for (Js j : js) {
      waitUntil(
          "js " + j.id() + " has the seed in its routing table",
          Duration.ofSeconds(40),
          () -> jsRoutingTable(j.peer()).contains(seed.id()));
    }

    // Every Java node finds every other node (Java and js), with an address that is really the
    // listener: findPeer (table or lookup), then an explicit iterative FIND_NODE lookup of the
    // target's id, which must end with the target itself answering as the closest peer.
    List<Task> javaSearches = new ArrayList<>();
    for (Node from : java) {
      javaSearches.add(
          () -> {
            for (Node to : java) {
              if (to != from) {
                Dht.PeerInfo found =
                    from.dht()
                        .findPeer(to.host().peerId())
                        .orElseThrow(
                            () -> new AssertionError(from.id() + " did not find Java " + to.id()));
                assertTrue(
                    found.addrs().contains(to.host().listenAddrs().getFirst()),
                    from.id() + " found " + found);
                assertClosestIsTarget(from, to.host().peerId());
              }
            }
            for (Js to : js) {
              Dht.PeerInfo found =
                  from.dht()
                      .findPeer(to.id())
                      .orElseThrow(
                          () -> new AssertionError(from.id() + " did not find js " + to.id()));
              assertTrue(found.addrs().contains(to.listenAddr()), from.id() + " found " + found);
              assertClosestIsTarget(from, to.id());
            }
          });
    }
    inParallel("Java nodes finding every node", javaSearches);
    // What a Java lookup found is dialable and is the peer it claims to be.
    Node last = java.getLast();
    for (Js to : js) {
      Connection c =
          last.host().dial(last.dht().findPeer(to.id()).orElseThrow().dialAddr().orElseThrow());
      assertEquals(to.id(), c.remotePeer());
    }

    // Every js node finds every other node: js's findPeer and js's own FIND_NODE lookup
    // (getClosestPeers of the target's binary id), which must return the target.
    List<Task> jsSearches = new ArrayList<>();
    for (Js from : js) {
      List<String> targets = new ArrayList<>();
      java.forEach(n -> targets.add(n.id()));
      js.stream().filter(j -> j != from).forEach(j -> targets.add(j.id().toString()));
      jsSearches.add(
          () -> {
            for (String target : targets) {
              Map<String, Object> found = from.peer().call("dhtFindPeer", JS_CALL, "peer", target);
              assertEquals(target, found.get("peer"));
              assertFalse(
                  ((List<?>) found.get("addrs")).isEmpty(),
                  "js " + from.id() + " found no address for " + target);
              // js keeps only the peers that answered within its own adaptive per-request timeout;
              // on a
              // loaded machine one lookup can lose most answers (seen once in 35 runs, with js's
              // findPeer of the same node succeeding just before), so a second lookup is allowed.
              Map<String, Object> lookup = null;
              List<?> closest = List.of();
              for (int attempt = 0; attempt < 2 && !closest.contains(target); attempt++) {
                lookup =
                    from.peer()
                        .call(
                            "dhtClosestPeers",
                            JS_CALL,
                            "keyHex",
                            HEX.formatHex(PeerId.parse(target).toBytes()));
                closest = (List<?>) lookup.get("peers");
              }
              Map<String, Object> lastLookup = lookup;
              List<?> result = closest;
              assertTrue(
                  closest.contains(target),
                  () ->
                      "js "
                          + from.id()
                          + " lookup of "
                          + target
                          + " returned "
                          + result
                          + " after "
                          + lastLookup.get("responses")
                          + " answers; failed queries: "
                          + lastLookup.get("errors"));
            }
          });
    }
    inParallel("js nodes finding every node", jsSearches);
    // The addresses js found for the Java nodes are their real listen addresses.
    for (Node to : java) {
      List<?> addrs =
          (List<?>) js.getFirst().peer().call("dhtFindPeer", JS_CALL, "peer", to.id()).get("addrs");
      assertTrue(
          addrs.contains(to.host().listenAddrs().getFirst().toString()),
          to.id() + " found by js at " + addrs);
    }

    // A provider record announced by one Java node (not the seed) is found from all 21 others.
    Node provider = java.get(JAVA_NODES / 2);
    byte[] fromJava =
        Dht.sha256Multihash("mixed network: provided by Java".getBytes(StandardCharsets.UTF_8));
    assertTrue(
        provider.dht().provide(fromJava) >= 15, "the announcement reached the closest peers");
    assertProviderFoundEverywhere(
        java, js, fromJava, provider.id(), provider.host().listenAddrs().getFirst());

    // And one announced by a js node is found from all 21 others.
    Js jsProvider = js.getLast();
    byte[] fromJs =
        Dht.sha256Multihash("mixed network: provided by js".getBytes(StandardCharsets.UTF_8));
    jsProvider.peer().call("dhtProvide", JS_CALL, "multihashHex", HEX.formatHex(fromJs));
    assertProviderFoundEverywhere(
        java, js, fromJs, jsProvider.id().toString(), jsProvider.listenAddr());

    for (Js j : js) {
      assertTrue(j.peer().isAlive(), "js " + j.id() + " still runs");
    }
  }

  private static void assertClosestIsTarget(Node from, PeerId target) {
    List<Dht.PeerInfo> closest = from.dht().closestPeers(target.toBytes());
    assertFalse(closest.isEmpty(), from.id() + ": lookup of " + target + " found nobody");
    assertEquals(
        target,
        closest.getFirst().peer(),
        from.id() + ": lookup of " + target + " did not reach it");
  }

  private void assertProviderFoundEverywhere(
      List<Node> java, List<Js> js, byte[] key, String provider, Multiaddr providerAddr)
      throws InterruptedException {
    List<Task> searches = new ArrayList<>();
    for (Node n : java) {
      if (n.id().equals(provider)) {
        continue;
      }
      searches.add(
          () -> {
            List<Dht.PeerInfo> ps = n.dht().findProviders(key, 1);
            assertEquals(
                List.of(provider),
                ps.stream().map(p -> p.peer().toString()).toList(),
                "providers seen by " + n.id());
            assertTrue(
                ps.getFirst().addrs().contains(providerAddr), n.id() + " got " + ps.getFirst());
          });
    }
    for (Js j : js) {
      if (j.id().toString().equals(provider)) {
        continue;
      }
      searches.add(
          () -> {
            List<?> ps =
                (List<?>)
                    j.peer()
                        .call(
                            "dhtFindProviders",
                            JS_CALL,
                            "multihashHex",
                            HEX.formatHex(key),
                            "max",
                            1)
                        .get("providers");
            assertEquals(1, ps.size(), "providers seen by js " + j.id() + ": " + ps);
            Map<?, ?> p = (Map<?, ?>) ps.getFirst();
            assertEquals(provider, p.get("peer"));
            assertTrue(
                ((List<?>) p.get("addrs")).contains(providerAddr.toString()),
                "js " + j.id() + " got " + p);
          });
    }
    assertEquals(JAVA_NODES + 1, searches.size());
    inParallel("finding the provider of " + HEX.formatHex(key), searches);
  }
}
