package dev.plasm.transport.libp2p;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.transport.libp2p.testing.NetLab;
import dev.plasm.transport.libp2p.testing.PeerProcess;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Two Plasm nodes, each behind its own NAT, in network namespaces this test builds and removes:
 * a relay and a second public node on the "internet" switch, and two home routers
 * (nftables masquerade, new connections from outside dropped) each with one node behind it. Every
 * node is a real process started through the transport SPI, as the daemon starts it.
 *
 * <p>The NATed nodes learn from AutoNAT that they are private, reserve on the relay, stop serving
 * the DHT, and find each other through the DHT (the relay answers FIND_NODE for the peer it is
 * connected to, with its relayed address). The dial goes through the relay, and DCUtR then punches
 * a direct QUIC connection where the NATs keep ports (masquerade), while with symmetric NATs
 * (random ports) it cannot and the relayed connection keeps working.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class NatTraversalTests {
  private static final String RELAY_IP = "11.0.0.10";
  private static final String PUBLIC_IP = "11.1.0.10";
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void cleanUp() throws Exception {
    for (AutoCloseable c : toClose.reversed()) {
      c.close();
    }
  }

  private PeerProcess node(NetLab lab, String ns, String... args) throws Exception {
    PeerProcess p = PeerProcess.startJava(lab.exec(ns), args);
    toClose.add(p);
    return p;
  }

  private void natNetwork(boolean symmetric, Outcome check) throws Exception {
    NetLab lab = NetLab.create();
    toClose.add(lab);
    lab.internetHost("relay", RELAY_IP);
    lab.internetHost("public", PUBLIC_IP);
    lab.natHost("a", "11.10.0.1", 1, symmetric);
    lab.natHost("b", "11.20.0.1", 2, symmetric);

    PeerProcess relay =
        node(lab, "relay", "--listen", "/ip4/" + RELAY_IP + "/udp/4001/quic-v1", "--relay-service");
    String relayAddr = "/ip4/" + RELAY_IP + "/udp/4001/quic-v1/p2p/" + relay.peerId();
    PeerProcess pub =
        node(
            lab,
            "public",
            "--listen",
            "/ip4/" + PUBLIC_IP + "/udp/4001/quic-v1",
            "--bootstrap",
            relayAddr);
    // The public node joins first, so the NATed nodes' bootstrap finds it (their second AutoNAT
    // server); otherwise they would meet it only at their next self lookup, up to 30 s later.
    pub.await(
        "table", Duration.ofSeconds(60), r -> ((List<?>) r.get("peers")).contains(relay.peerId()));
    // The NATed nodes listen on QUIC only: their QUIC dials leave from the listen port, so what the
    // relay and the public node observe is the NAT's mapping of it, the address to punch to.
    PeerProcess a =
        node(
            lab,
            "a",
            "--listen",
            "/ip4/0.0.0.0/udp/4001/quic-v1",
            "--bootstrap",
            relayAddr,
            "--relays",
            relayAddr);
    PeerProcess b =
        node(
            lab,
            "b",
            "--listen",
            "/ip4/0.0.0.0/udp/4001/quic-v1",
            "--bootstrap",
            relayAddr,
            "--relays",
            relayAddr);

    for (PeerProcess n : List.of(a, b)) {
      // AutoNAT: the relay and the public node dial back the NAT's outside address and fail.
      Map<String, Object> reach =
          n.await(
              "checkReachability", Duration.ofSeconds(60), r -> "PRIVATE".equals(r.get("status")));
      assertTrue(
          ((List<?>) reach.get("observed"))
              .stream().anyMatch(o -> o.toString().startsWith("/ip4/11.")),
          "the relay sees the NAT's outside address: " + reach);
      // Unreachable, the node reserves on the relay and announces a relayed address.
      Map<String, Object> info =
          n.await("info", Duration.ofSeconds(45), r -> !((List<?>) r.get("relayAddrs")).isEmpty());
      assertTrue(
          ((List<?>) info.get("relayAddrs"))
              .getFirst()
              .toString()
              .startsWith(relayAddr + "/p2p-circuit/p2p/"),
          info.toString());
    }

    // b finds a through the DHT (the relay knows a's relayed address) and reaches it through the
    // relay.
    Map<String, Object> found =
        b.await(
            "findPeer",
            Duration.ofSeconds(45),
            r ->
                r.containsKey("addrs")
                    && ((List<?>) r.get("addrs"))
                        .stream().anyMatch(x -> x.toString().contains("/p2p-circuit")),
            "peer",
            a.peerId());
    assertTrue(
        ((List<?>) found.get("addrs"))
            .stream().anyMatch(x -> x.toString().startsWith(relayAddr + "/p2p-circuit")),
        found.toString());
    Map<String, Object> echo =
        b.call(
            "echo", Duration.ofSeconds(60), "peer", a.peerId(), "text", "hello through the NATs");
    assertEquals("hello through the NATs", echo.get("text"));
    check.verify(a, b);
  }

  @FunctionalInterface
  interface Outcome {
    void verify(PeerProcess a, PeerProcess b) throws Exception;
  }

  @Test
  void nodesBehindPortKeepingNatsFindEachOtherAndHolePunchADirectConnection() throws Exception {
    natNetwork(
        false,
        (a, b) -> {
          // a took the relayed connection: it starts DCUtR; b dials a's outside address on SYNC.
          Map<String, Object> direct =
              b.await(
                  "connection",
                  Duration.ofSeconds(40),
                  r -> Boolean.FALSE.equals(r.get("relayed")),
                  "peer",
                  a.peerId());
          assertTrue(
              direct.get("remoteAddr").toString().startsWith("/ip4/11.10.0.1/udp/"),
              "b reaches a's NAT directly: " + direct);
          Map<String, Object> atA = a.call("connection", "peer", b.peerId());
          assertEquals(Boolean.FALSE, atA.get("relayed"), atA.toString());
          assertEquals(
              "direct now",
              b.call("echo", Duration.ofSeconds(30), "peer", a.peerId(), "text", "direct now")
                  .get("text"));
        });
  }

  @Test
  void behindSymmetricNatsThePunchFailsAndTheRelayedConnectionKeepsWorking() throws Exception {
    natNetwork(
        true,
        (a, b) -> {
          // DCUtR's three rounds (about 20 s) cannot get through random port mappings.
          Thread.sleep(25_000);
          Map<String, Object> c = b.call("connection", "peer", a.peerId());
          assertEquals(
              Boolean.TRUE, c.get("relayed"), "no direct connection through symmetric NATs: " + c);
          assertEquals(
              "still relayed",
              b.call("echo", Duration.ofSeconds(30), "peer", a.peerId(), "text", "still relayed")
                  .get("text"));
          assertTrue(
              (Double) a.call("ping", Duration.ofSeconds(30), "peer", b.peerId()).get("rttMillis")
                  > 0);
          assertFalse(
              a.call("connection", "peer", b.peerId())
                  .get("remoteAddr")
                  .toString()
                  .startsWith("/ip4/11.20."));
        });
  }
}
