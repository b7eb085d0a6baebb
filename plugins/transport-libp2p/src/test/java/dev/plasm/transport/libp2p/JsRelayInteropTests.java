package dev.plasm.transport.libp2p;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.testing.PeerProcess;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Circuit relay v2 against js-libp2p's @libp2p/circuit-relay-v2 4.2.13 on loopback: a js node
 * reserves on a Plasm relay and is reached through it, and a Plasm node reserves on a js relay and
 * is reached through it by Java and by js.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class JsRelayInteropTests {
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void cleanUp() throws Exception {
    for (AutoCloseable c : toClose.reversed()) {
      c.close();
    }
  }

  private PeerProcess js(String... args) throws Exception {
    PeerProcess p = PeerProcess.start(args);
    toClose.add(p);
    return p;
  }

  private Host java() throws IOException {
    Host h = Host.builder().build();
    toClose.add(h);
    h.setHandler(
        JsInteropTests.ECHO,
        s -> {
          s.input().transferTo(s.output());
          s.closeWrite();
        });
    h.listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"));
    return h;
  }

  private static String echo(Connection c, String text) throws IOException {
    try (Stream s = c.newStream(JsInteropTests.ECHO)) {
      s.output().write(text.getBytes());
      s.closeWrite();
      return new String(s.input().readAllBytes());
    }
  }

  @Test
  void aJsNodeReservesOnAPlasmRelayAndIsReachedThroughIt() throws Exception {
    Host relay = java();
    relay.startRelayService(RelayLimits.DEFAULTS);
    PeerProcess js = js("--relay-client");
    js.call("dial", "addr", HostTests.addr(relay).toString());
    // js reserves on its own once identify shows it our hop protocol.
    String circuit =
        HostTests.waitFor(
            () ->
                ((List<?>) js.call("addrs").get("addrs"))
                    .stream()
                        .map(String::valueOf)
                        .filter(a -> a.contains("/p2p/" + relay.peerId() + "/p2p-circuit"))
                        .findFirst()
                        .orElse(null));
    assertTrue(circuit.endsWith("/p2p-circuit/p2p/" + js.peerId()), circuit);
    assertEquals(1, relay.core().relayService().orElseThrow().reservationCount());

    Host c = java();
    Connection viaRelay = c.dial(Multiaddr.parse(circuit));
    assertTrue(viaRelay.isRelayed());
    assertEquals(js.peerId(), viaRelay.remotePeer().toString());
    assertEquals(
        "hello js, through a Plasm relay", echo(viaRelay, "hello js, through a Plasm relay"));
    assertTrue(c.ping(viaRelay).toNanos() > 0);
    List<?> jsConns = (List<?>) js.call("connections").get("connections");
    assertTrue(
        jsConns.stream()
            .map(o -> (Map<?, ?>) o)
            .anyMatch(
                m ->
                    c.peerId().toString().equals(m.get("peer"))
                        && Boolean.TRUE.equals(m.get("limited"))),
        "js sees a limited (relayed) connection from c: " + jsConns);
  }

  @Test
  void aPlasmNodeReservesOnAJsRelayAndIsReachedByJavaAndJs() throws Exception {
    PeerProcess relay = js("--relay-server");
    Host b = java();
    RelayReservation r = b.reserve(Multiaddr.parse(relay.addr()));
    assertEquals(relay.peerId(), r.relay().toString());
    Multiaddr circuit =
        r.addrs().stream()
            .filter(a -> a.toString().startsWith(relay.addr()))
            .findFirst()
            .orElseThrow();
    assertEquals(relay.addr() + "/p2p-circuit", circuit.toString());
    assertTrue(
        r.circuitBytes() > 0 && !r.circuitDuration().isZero(),
        "js applies its default limits: " + r);

    Host c = java();
    Connection viaRelay = c.dial(circuit.withPeerId(b.peerId()));
    assertTrue(viaRelay.isRelayed());
    assertEquals(
        "hello Java, through a js relay", echo(viaRelay, "hello Java, through a js relay"));

    PeerProcess other = js("--relay-client");
    Map<String, Object> dialed =
        other.call("dial", "addr", circuit.withPeerId(b.peerId()).toString());
    assertEquals(b.peerId().toString(), dialed.get("peer"));
    assertTrue(((String) dialed.get("remoteAddr")).contains("/p2p-circuit"), dialed.toString());
    Map<String, Object> up =
        other.call(
            "upload",
            Duration.ofSeconds(30),
            "addr",
            circuit.withPeerId(b.peerId()).toString(),
            "protocol",
            JsInteropTests.ECHO,
            "size",
            4096);
    assertEquals(up.get("sha"), up.get("replySha"), up.toString());
    Connection atB =
        HostTests.waitFor(() -> b.connection(PeerId.parse(other.peerId())).orElse(null));
    assertTrue(atB.isRelayed());
  }
}
