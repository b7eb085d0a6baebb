package dev.plasm.transport.libp2p;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.testing.PeerProcess;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Java against js-libp2p's QUIC transport (@chainsafe/libp2p-quic 2.1.1, rust quinn) on loopback,
 * both ways: the libp2p TLS handshake with rust's certificates (empty names, critical extension),
 * ping, identify, 64 parallel streams with checked hashes, and DHT queries over QUIC only.
 */
@Timeout(value = 150, unit = TimeUnit.SECONDS)
class JsQuicInteropTests {
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void cleanUp() throws Exception {
    for (AutoCloseable c : toClose.reversed()) {
      c.close();
    }
  }

  private PeerProcess js(String... args) throws Exception {
    List<String> a = new ArrayList<>(List.of("--quic"));
    a.addAll(List.of(args));
    PeerProcess p = PeerProcess.start(a.toArray(String[]::new));
    toClose.add(p);
    return p;
  }

  /** A Java host listening on QUIC only, serving the echo protocol. */
  private Host java() throws IOException {
    Host h = Host.builder().build();
    toClose.add(h);
    h.setHandler(
        JsInteropTests.ECHO,
        s -> {
          s.input().transferTo(s.output());
          s.closeWrite();
        });
    h.listen(QuicTests.QUIC_LOOPBACK);
    return h;
  }

  @Test
  void javaDialsJsOverQuicPingsIdentifiesAndRunsSixtyFourStreams() throws Exception {
    PeerProcess js = js();
    Host host = java();
    Multiaddr jsQuic = Multiaddr.parse(js.quicAddr());
    Connection c = host.dial(jsQuic);
    assertEquals(js.peerId(), c.remotePeer().toString());
    assertEquals(jsQuic.withoutPeerId(), c.remoteAddr(), "the connection is QUIC");
    assertTrue(host.ping(c).toNanos() > 0);
    IdentifyInfo info = c.identified().get(15, TimeUnit.SECONDS);
    assertTrue(
        info.protocols().containsAll(List.of(JsInteropTests.ECHO, Host.IDENTIFY, Host.PING)),
        info.protocols().toString());
    assertTrue(info.listenAddrs().contains(jsQuic.withoutPeerId()), info.listenAddrs().toString());
    // js sees us at our QUIC listen port: our dials leave from it.
    assertEquals(QuicTests.quicAddr(host), info.observedAddr().orElseThrow());

    List<CompletableFuture<Boolean>> all = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      byte[] data = new byte[256 * 1024];
      new Random(i).nextBytes(data);
      all.add(
          CompletableFuture.supplyAsync(
              () -> {
                try (Stream s = c.newStream(JsInteropTests.ECHO)) {
                  s.output().write(data);
                  s.closeWrite();
                  return MessageDigest.isEqual(sha(data), sha(s.input().readAllBytes()));
                } catch (Exception e) {
                  throw new RuntimeException(e);
                }
              },
              r -> Thread.startVirtualThread(r)));
    }
    for (CompletableFuture<Boolean> f : all) {
      assertTrue(f.get(90, TimeUnit.SECONDS), "an echo came back different");
    }
    // One larger transfer into js's sink, checked by its hash.
    byte[] big = new byte[8 * 1024 * 1024];
    new Random(99).nextBytes(big);
    try (Stream s = c.newStream(JsInteropTests.SINK)) {
      s.output().write(big);
      s.closeWrite();
      String reply = new String(s.input().readAllBytes(), StandardCharsets.UTF_8).trim();
      assertEquals(big.length + " " + HexFormat.of().formatHex(sha(big)), reply);
    }
  }

  @Test
  void jsDialsJavaOverQuicPingsIdentifiesAndRunsSixtyFourStreams() throws Exception {
    PeerProcess js = js();
    Host host = java();
    String javaQuic = QuicTests.quicAddr(host).toString();
    Map<String, Object> dialed = js.call("dial", "addr", javaQuic);
    assertEquals(host.peerId().toString(), dialed.get("peer"));
    assertTrue(((String) dialed.get("remoteAddr")).contains("/quic-v1"), dialed.toString());
    assertTrue((Double) js.call("ping", "addr", javaQuic).get("rtt") >= 0);
    Map<String, Object> info = waitForJsPeerInfo(js, host);
    assertTrue(
        ((List<?>) info.get("protocols"))
            .containsAll(List.of(JsInteropTests.ECHO, Host.IDENTIFY, Host.PING)),
        info.toString());
    assertTrue(
        ((List<?>) info.get("addrs")).contains(QuicTests.quicAddr(host).withoutPeerId().toString()),
        info.toString());
    Connection back =
        HostTests.waitFor(() -> host.connection(PeerId.parse(js.peerId())).orElse(null));
    assertTrue(
        back.remoteAddr().isQuic(),
        back.remoteAddr().toString()); // (js dials from a port of its own)
    assertTrue(host.ping(back).toNanos() > 0, "Java pings js on the connection js dialed");

    Map<String, Object> r =
        js.call(
            "parallel",
            Duration.ofSeconds(90),
            "addr",
            javaQuic,
            "protocol",
            JsInteropTests.ECHO,
            "streams",
            64,
            "size",
            256 * 1024);
    assertEquals(64.0, r.get("matching"), r.toString());

    // js's QUIC (rustls) resumes its TLS session on the next connection, which then carries no
    // certificates: the key comes from the resumed session. Both fresh connections work, and
    // Java uses the newer (js dialed both and closes the older; until its close arrives, both
    // stay).
    for (int i = 0; i < 2; i++) {
      js.call("hangUp", "peer", host.peerId().toString());
      Map<String, Object> again = js.call("dial", "addr", javaQuic, "force", true);
      assertEquals(host.peerId().toString(), again.get("peer"));
      assertTrue(
          (Double) js.call("ping", "addr", javaQuic).get("rtt") >= 0,
          "ping on the resumed connection " + i);
    }
    Connection resumed =
        HostTests.waitFor(
            () -> host.connection(PeerId.parse(js.peerId())).filter(c -> c != back).orElse(null));
    assertTrue(host.ping(resumed).toNanos() > 0);
  }

  @Test
  void dhtQueriesRunOverQuicBothWays() throws Exception {
    PeerProcess js = js("--dht", Dht.PLASM_PROTOCOL);
    Host h = java();
    Dht dht =
        Dht.builder(h)
            .requestTimeout(Duration.ofSeconds(5))
            .queryTimeout(Duration.ofSeconds(20))
            .build();
    toClose.add(dht);
    Host h2 = java();
    Dht dht2 =
        Dht.builder(h2)
            .requestTimeout(Duration.ofSeconds(5))
            .queryTimeout(Duration.ofSeconds(20))
            .build();
    toClose.add(dht2);

    dht.bootstrap(List.of(Multiaddr.parse(js.quicAddr())));
    dht2.bootstrap(List.of(Multiaddr.parse(js.quicAddr())));
    assertTrue(dht.routingTable().stream().anyMatch(p -> p.peer().toString().equals(js.peerId())));
    // Every connection involved is QUIC: the Java nodes listen on nothing else.
    assertTrue(
        h.connections().stream().allMatch(c -> c.remoteAddr().isQuic()),
        h.connections().toString());

    // Java finds the other Java node through js, then js finds both.
    Dht.PeerInfo found = dht.findPeer(h2.peerId()).orElseThrow();
    assertTrue(found.addrs().contains(QuicTests.quicAddr(h2).withoutPeerId()), found.toString());
    Map<String, Object> jsFound = js.call("dhtFindPeer", "peer", h2.peerId().toString());
    assertTrue(
        ((List<?>) jsFound.get("addrs"))
            .contains(QuicTests.quicAddr(h2).withoutPeerId().toString()),
        jsFound.toString());

    // A record put by Java is read by js, and one put by js is read by Java.
    byte[] v = "{\"seq\":1,\"over\":\"quic\"}".getBytes(StandardCharsets.UTF_8);
    assertTrue(dht.putValue("/plasm/quic/java", v) >= 1);
    Map<String, Object> got = js.call("dhtGet", "key", "/plasm/quic/java");
    assertEquals(HexFormat.of().formatHex(v), got.get("valueHex"));
    byte[] w = "{\"seq\":1,\"from\":\"js\"}".getBytes(StandardCharsets.UTF_8);
    js.call("dhtPut", "key", "/plasm/quic/js", "valueHex", HexFormat.of().formatHex(w));
    assertArrayEquals(w, dht2.getValue("/plasm/quic/js").orElseThrow());
  }

  private static Map<String, Object> waitForJsPeerInfo(PeerProcess js, Host host) throws Exception {
    return HostTests.waitFor(
        () -> {
          try {
            Map<String, Object> info = js.call("peerInfo", "peer", host.peerId().toString());
            return ((List<?>) info.get("protocols")).contains(JsInteropTests.ECHO) ? info : null;
          } catch (IOException e) {
            return null;
          }
        });
  }

  private static byte[] sha(byte[] data) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(data);
  }
}
