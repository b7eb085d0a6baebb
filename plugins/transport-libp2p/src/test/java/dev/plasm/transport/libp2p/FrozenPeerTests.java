package dev.plasm.transport.libp2p;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.transport.libp2p.testing.PeerProcess;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Staying connected: a node of a five-node network (each node a process of its own, started
 * through the transport SPI as the daemon starts it, on loopback) is frozen with SIGSTOP, as a
 * stopped job or a suspended machine would be, and resumed 45 s later.
 *
 * <p>While it is frozen, its peers close their connections to it within one liveness interval and
 * ping timeout (10 s + 5 s, as js-libp2p's connection monitor) and drop it from their routing
 * tables, and their DHT lookups, which keep running, never wait out the 10 s request timeout for
 * it. Once resumed, it notices it stood still, reconnects to its routing table's peers within
 * seconds, and they put it back in their tables; a record it then stores is found by the others.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class FrozenPeerTests {
  private static final int NODES = 5;
  private static final Duration FREEZE = Duration.ofSeconds(45);

  /** The DHT's request timeout (Dht.Builder's default, as the provider starts it). */
  private static final long REQUEST_TIMEOUT_MILLIS = 10_000;

  private final List<PeerProcess> toClose = new ArrayList<>();

  @AfterEach
  void cleanUp() {
    toClose.reversed().forEach(PeerProcess::close);
  }

  @Test
  void aFrozenNodeOnQuicIsDroppedFastAndReconnectsWhenResumed() throws Exception {
    frozenAndResumed(List.of("/ip4/127.0.0.1/udp/0/quic-v1", "/ip4/127.0.0.1/tcp/0"), true);
  }

  @Test
  void aFrozenNodeOnTcpIsDroppedFastAndReconnectsWhenResumed() throws Exception {
    frozenAndResumed(List.of("/ip4/127.0.0.1/tcp/0"), false);
  }

  private PeerProcess node(List<String> listen, String bootstrap) throws Exception {
    List<String> args = new ArrayList<>(List.of("--no-autonat", "--no-hole-punching", "--listen"));
    args.addAll(listen);
    if (bootstrap != null) {
      args.addAll(List.of("--bootstrap", bootstrap));
    }
    PeerProcess p = PeerProcess.startJava(List.of(), args.toArray(String[]::new));
    toClose.add(p);
    return p;
  }

  private static Set<String> ids(Map<String, Object> answer) {
    Set<String> out = new HashSet<>();
    for (Object o : (List<?>) answer.get("peers")) {
      out.add(o instanceof Map<?, ?> m ? (String) m.get("peer") : (String) o);
    }
    return out;
  }

  private static double seconds(long sinceNanos) {
    return (System.nanoTime() - sinceNanos) / 1e9;
  }

  private void frozenAndResumed(List<String> listen, boolean quic) throws Exception {
    PeerProcess seed = node(listen, null);
    String seedAddr = quic ? seed.quicAddr() : seed.addr();
    List<PeerProcess> nodes = new ArrayList<>(List.of(seed));
    for (int i = 1; i < NODES; i++) {
      nodes.add(node(listen, seedAddr));
    }
    for (PeerProcess n : nodes) {
      n.await("table", Duration.ofSeconds(60), r -> ids(r).size() == NODES - 1);
    }
    PeerProcess frozen = nodes.get(3);
    List<PeerProcess> others = new ArrayList<>(nodes);
    others.remove(frozen);
    Map<String, Object> link =
        others
            .getFirst()
            .await(
                "connection",
                Duration.ofSeconds(20),
                r -> r.containsKey("remoteAddr"),
                "peer",
                frozen.peerId());
    assertEquals(quic, ((String) link.get("remoteAddr")).contains("/quic-v1"), "carrier: " + link);

    // Lookups keep running on the other nodes the whole time (keys nobody stored: each lookup asks
    // every peer it knows, the frozen one included while it is still known).
    AtomicBoolean done = new AtomicBoolean();
    List<Long> lookupMillis = Collections.synchronizedList(new ArrayList<>());
    ConcurrentLinkedQueue<String> lookupErrors = new ConcurrentLinkedQueue<>();
    List<Thread> askers = new ArrayList<>();
    for (PeerProcess o : others) {
      askers.add(
          Thread.ofVirtual()
              .start(
                  () -> {
                    while (!done.get()) {
                      String key =
                          "/plasm/frozen-test/"
                              + HexFormat.of().toHexDigits(ThreadLocalRandom.current().nextLong());
                      try {
                        lookupMillis.add(
                            ((Number)
                                    o.call("get", Duration.ofSeconds(40), "key", key).get("millis"))
                                .longValue());
                        Thread.sleep(250);
                      } catch (IOException e) {
                        lookupErrors.add(e.getMessage());
                      } catch (InterruptedException e) {
                        return;
                      }
                    }
                  }));
    }

    long stoppedAt = System.nanoTime();
    frozen.stop();
    double slowestDrop = 0;
    for (PeerProcess o : others) {
      o.await(
          "connection",
          Duration.ofSeconds(25),
          r -> !r.containsKey("remoteAddr"),
          "peer",
          frozen.peerId());
      slowestDrop = Math.max(slowestDrop, seconds(stoppedAt));
      o.await("table", Duration.ofSeconds(5), r -> !ids(r).contains(frozen.peerId()));
    }
    assertTrue(
        slowestDrop <= 20,
        "every peer closed its connection to the frozen node within 20 s: " + slowestDrop);
    long left = FREEZE.toNanos() - (System.nanoTime() - stoppedAt);
    if (left > 0) {
      Thread.sleep(Duration.ofNanos(left));
    }
    done.set(true);
    for (Thread t : askers) {
      t.join(Duration.ofSeconds(45));
    }
    List<Long> during = List.copyOf(lookupMillis);
    long slowest = during.stream().mapToLong(Long::longValue).max().orElse(-1);
    assertTrue(lookupErrors.isEmpty(), "lookups failed: " + lookupErrors);
    assertTrue(
        during.size() >= 4 * 10,
        "lookups kept running while the node was frozen: " + during.size());
    assertTrue(
        slowest < REQUEST_TIMEOUT_MILLIS / 2,
        "no lookup waited out the "
            + REQUEST_TIMEOUT_MILLIS
            + " ms request timeout for the frozen node: slowest "
            + slowest
            + " ms");

    long resumedAt = System.nanoTime();
    frozen.resume();
    Set<String> otherIds = new HashSet<>();
    others.forEach(o -> otherIds.add(o.peerId()));
    frozen.await("peers", Duration.ofSeconds(15), r -> ids(r).containsAll(otherIds));
    double reconnected = seconds(resumedAt);
    frozen.await("table", Duration.ofSeconds(10), r -> ids(r).containsAll(otherIds));
    for (PeerProcess o : others) {
      o.await("table", Duration.ofSeconds(10), r -> ids(r).contains(frozen.peerId()));
    }
    double known = seconds(resumedAt);
    assertTrue(
        reconnected <= 10,
        "the resumed node reconnected to all its peers within 10 s: " + reconnected);

    String key = "/plasm/frozen-test/after-resume";
    Map<String, Object> put =
        frozen.call("put", Duration.ofSeconds(40), "key", key, "value", "back");
    assertEquals(
        NODES - 1,
        ((Number) put.get("stored")).intValue(),
        "every peer took the resumed node's record: " + put);
    for (PeerProcess o : others) {
      assertEquals("back", o.call("get", Duration.ofSeconds(40), "key", key).get("value"));
    }
    System.out.printf(
        "frozen-peer (%s): peers dropped it within %.1f s; %d lookups while frozen, slowest %d ms;"
            + " reconnected %.1f s after resume, back in every table after %.1f s%n",
        quic ? "QUIC" : "TCP", slowestDrop, during.size(), slowest, reconnected, known);
  }
}
