package dev.plasm.transport.libp2p;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.identity.KeyType;
import dev.plasm.identity.NodeIdentity;
import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.testing.Echo;
import dev.plasm.transport.libp2p.testing.PeerProcess;
import java.io.IOException;
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
 * Java against a real js-libp2p 3.3.11 peer (src/test/js/peer.mjs) on loopback, in both
 * directions: Noise, Yamux, multistream-select, identify and push, ping, bulk transfers and many
 * parallel streams.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class JsInteropTests {
  static final String ECHO = "/plasm/test/echo/1.0.0";
  static final String SINK = "/plasm/test/sink/1.0.0";
  private static final int MIB = 1024 * 1024;
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

  private Host java(Host.Builder b) throws IOException {
    Host h = b.build();
    toClose.add(h);
    h.setHandler(
        ECHO,
        s -> {
          s.input().transferTo(s.output());
          s.closeWrite();
        });
    // Reads everything, answers "<count> <sha-256 hex>\n" like the js sink.
    h.setHandler(
        SINK,
        s -> {
          MessageDigest sha = MessageDigest.getInstance("SHA-256");
          byte[] buf = new byte[64 * 1024];
          long count = 0;
          for (int n; (n = s.input().read(buf)) > 0; ) {
            sha.update(buf, 0, n);
            count += n;
          }
          s.output()
              .write((count + " " + HexFormat.of().formatHex(sha.digest()) + "\n").getBytes());
          s.closeWrite();
        });
    h.listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"));
    return h;
  }

  private Host java() throws IOException {
    return java(Host.builder());
  }

  private static String javaAddr(Host h) {
    return h.listenAddrs().getFirst().withPeerId(h.peerId()).toString();
  }

  @Test
  void javaDialsJsAndIdentifiesIt() throws Exception {
    PeerProcess js = js();
    Host host = java();
    Connection c = host.dial(Multiaddr.parse(js.addr()));
    assertEquals(js.peerId(), c.remotePeer().toString());
    try (Stream s = c.newStream(ECHO)) {
      s.output().write("hello js".getBytes());
      s.closeWrite();
      assertEquals("hello js", new String(s.input().readAllBytes()));
    }
    IdentifyInfo info = c.identified().get(15, TimeUnit.SECONDS);
    assertTrue(
        info.protocols()
            .containsAll(List.of(ECHO, SINK, Host.IDENTIFY, Host.IDENTIFY_PUSH, Host.PING)),
        info.protocols().toString());
    assertTrue(info.agentVersion().contains("libp2p"), info.agentVersion());
    assertEquals(c.remotePeer(), info.publicKey().peerId());
    assertTrue(
        info.listenAddrs().contains(Multiaddr.parse(js.addr()).withoutPeerId()),
        info.listenAddrs().toString());
    // js reports the address it sees us at, with our peer id appended.
    assertEquals(c.localAddr().withPeerId(host.peerId()), info.observedAddr().orElseThrow());
  }

  @Test
  void jsDialsJavaAndListsItsProtocols() throws Exception {
    PeerProcess js = js();
    Host host = java();
    Map<String, Object> dialed = js.call("dial", "addr", javaAddr(host));
    assertEquals(host.peerId().toString(), dialed.get("peer"));
    Map<String, Object> info = waitForPeerInfo(js, host, ECHO);
    List<?> protocols = (List<?>) info.get("protocols");
    assertTrue(
        protocols.containsAll(List.of(ECHO, SINK, Host.IDENTIFY, Host.IDENTIFY_PUSH, Host.PING)),
        protocols.toString());
    assertEquals(Host.DEFAULT_AGENT_VERSION, info.get("agent"));
    assertTrue(
        ((List<?>) info.get("addrs")).contains(host.listenAddrs().getFirst().toString()),
        info.toString());
    assertEquals(
        HexFormat.of().formatHex(host.peerId().embeddedPublicKey().orElseThrow().data()),
        info.get("publicKey"));

    Connection back =
        HostTests.waitFor(() -> host.connection(PeerId.parse(js.peerId())).orElse(null));
    assertTrue(back.identified().get(15, TimeUnit.SECONDS).protocols().contains(SINK));
  }

  @Test
  void pingBothWays() throws Exception {
    PeerProcess js = js();
    Host host = java();
    Connection c = host.dial(Multiaddr.parse(js.addr()));
    Duration rtt = host.ping(c);
    assertTrue(rtt.toNanos() > 0 && rtt.toSeconds() < 10, rtt.toString());
    double jsRtt = (Double) js.call("ping", "addr", javaAddr(host)).get("rtt");
    assertTrue(jsRtt >= 0 && jsRtt < 10_000, "js rtt " + jsRtt);
  }

  @Test
  void identifyPushBothWays() throws Exception {
    PeerProcess js = js();
    Host host = java();
    Connection c = host.dial(Multiaddr.parse(js.addr()));
    c.identified().get(15, TimeUnit.SECONDS);
    waitForPeerInfo(js, host, ECHO);

    host.setHandler("/plasm/pushed/1.0.0", s -> {});
    waitForPeerInfo(js, host, "/plasm/pushed/1.0.0");

    js.call("handle", "protocol", "/js/pushed/1.0.0");
    HostTests.waitUntil(
        () -> c.identifyInfo().orElseThrow().protocols().contains("/js/pushed/1.0.0"),
        "js pushes its new protocol");
    try (Stream s = c.newStream("/js/pushed/1.0.0")) {
      s.output().write(42);
      s.closeWrite();
      assertEquals(42, s.input().read());
    }
  }

  @Test
  void severalMebibytesEachWayOnOneStream() throws Exception {
    PeerProcess js = js();
    Host host = java();
    Connection c = host.dial(Multiaddr.parse(js.addr()));
    int size = 8 * MIB;

    // Java -> js sink.
    byte[] data = new byte[size];
    new Random(11).nextBytes(data);
    long t0 = System.nanoTime();
    try (Stream s = c.newStream(SINK)) {
      s.output().write(data);
      s.closeWrite();
      String reply = new String(s.input().readAllBytes()).trim();
      assertEquals(size + " " + hex(sha256(data)), reply);
    }
    double up = seconds(t0);

    // js -> Java sink.
    Map<String, Object> r =
        js.call(
            "upload",
            Duration.ofSeconds(60),
            "addr",
            javaAddr(host),
            "protocol",
            SINK,
            "size",
            size);
    assertEquals(size + " " + r.get("sha") + "\n", r.get("replyText"));

    // Both directions at once through js's echo.
    new Random(12).nextBytes(data);
    long t1 = System.nanoTime();
    try (Stream s = c.newStream(ECHO)) {
      byte[] back =
          Echo.roundTrip(s.input(), s.output(), s::closeWrite, data, Duration.ofSeconds(60));
      assertArrayEquals(sha256(data), sha256(back));
    }
    double echo = seconds(t1);
    // And js echoing through Java.
    Map<String, Object> e =
        js.call(
            "upload",
            Duration.ofSeconds(60),
            "addr",
            javaAddr(host),
            "protocol",
            ECHO,
            "size",
            size);
    assertEquals(r.get("sha") == null ? null : e.get("sha"), e.get("replySha"));
    assertEquals((double) size, e.get("replyLength"));
    System.out.printf(
        "js interop, 8 MiB: Java->js %.1f MiB/s, js->Java %.1f MiB/s, echo via js %.1f MiB/s each way, "
            + "echo via Java (js-timed) %.1f MiB/s each way%n",
        8 / up, 8 / ((Double) r.get("ms") / 1000), 8 / echo, 8 / ((Double) e.get("ms") / 1000));
  }

  @Test
  void manyParallelStreamsBothWays() throws Exception {
    PeerProcess js = js();
    Host host = java();
    Connection c = host.dial(Multiaddr.parse(js.addr()));
    int streams = 64;
    int size = 256 * 1024;
    List<CompletableFuture<Boolean>> results = new ArrayList<>();
    for (int i = 0; i < streams; i++) {
      int seed = i;
      results.add(
          CompletableFuture.supplyAsync(
              () -> {
                byte[] d = new byte[size];
                new Random(seed).nextBytes(d);
                try (Stream s = c.newStream(ECHO)) {
                  return MessageDigest.isEqual(
                      d,
                      Echo.roundTrip(
                          s.input(), s.output(), s::closeWrite, d, Duration.ofSeconds(60)));
                } catch (Exception ex) {
                  throw new RuntimeException(ex);
                }
              },
              Thread::startVirtualThread));
    }
    for (var r : results) {
      assertTrue(r.get(90, TimeUnit.SECONDS));
    }
    Map<String, Object> r =
        js.call(
            "parallel",
            Duration.ofSeconds(90),
            "addr",
            javaAddr(host),
            "protocol",
            ECHO,
            "streams",
            streams,
            "size",
            size);
    assertEquals((double) streams, r.get("matching"));
  }

  /**
   * js queues streams that arrive before its connection listens for them and aborts the whole
   * muxer once more than 10 are queued (maxEarlyStreams). A loaded js event loop widens that gap;
   * {@code --slow-upgrade} makes it 400 ms, so every stream opened right after the dial lands in
   * it. We open at most a few streams until the peer has acknowledged one, so all must work.
   */
  @Test
  void streamsOpenedRightAfterDialingAPeerThatIsSlowToListenAllNegotiate() throws Exception {
    PeerProcess js = js("--slow-upgrade", "400");
    Host host = java();
    Connection c = host.dial(Multiaddr.parse(js.addr()));
    int streams = 32;
    List<CompletableFuture<Boolean>> results = new ArrayList<>();
    for (int i = 0; i < streams; i++) {
      int seed = i;
      results.add(
          CompletableFuture.supplyAsync(
              () -> {
                byte[] d = new byte[4096];
                new Random(seed).nextBytes(d);
                try (Stream s = c.newStream(ECHO)) {
                  return MessageDigest.isEqual(
                      d,
                      Echo.roundTrip(
                          s.input(), s.output(), s::closeWrite, d, Duration.ofSeconds(30)));
                } catch (Exception ex) {
                  throw new RuntimeException(ex);
                }
              },
              Thread::startVirtualThread));
    }
    for (var r : results) {
      assertTrue(r.get(60, TimeUnit.SECONDS));
    }
    assertTrue(c.isOpen());
  }

  @Test
  void multistreamMuxerSelectionWorksWithJsBothWays() throws Exception {
    PeerProcess js = js();
    Host host = java(Host.builder().inlineMuxerNegotiation(false));
    Connection c = host.dial(Multiaddr.parse(js.addr()));
    assertTrue(host.ping(c).toNanos() > 0);
    c.close();
    HostTests.waitUntil(() -> host.connections().isEmpty(), "the connection is gone");
    // js must have seen the close too, or its dial just returns the old connection.
    HostTests.waitUntil(
        () -> ((List<?>) js.call("connections").get("connections")).isEmpty(), "js sees it gone");
    js.call("dial", "addr", javaAddr(host));
    Connection back =
        HostTests.waitFor(() -> host.connection(PeerId.parse(js.peerId())).orElse(null));
    assertTrue(host.ping(back).toNanos() > 0);
  }

  @Test
  void rsaAndSecp256k1PeersWorkBothWays() throws Exception {
    Host host = java();
    PeerProcess rsa = js("--key", "rsa");
    assertTrue(rsa.peerId().startsWith("Qm"));
    Connection c = host.dial(Multiaddr.parse(rsa.addr()));
    assertEquals(KeyType.RSA, c.remotePublicKey().type());
    assertTrue(host.ping(c).toNanos() > 0);
    assertEquals(KeyType.RSA, c.identified().get(15, TimeUnit.SECONDS).publicKey().type());

    // secp256k1 (which the JDK dropped) is verified with BouncyCastle: its key is embedded in
    // the 16Uiu2... peer id, and js dials us back under it.
    PeerProcess secp = js("--key", "secp256k1");
    assertTrue(secp.peerId().startsWith("16Uiu2"), secp.peerId());
    Connection s = host.dial(Multiaddr.parse(secp.addr()));
    assertEquals(KeyType.SECP256K1, s.remotePublicKey().type());
    assertEquals(
        s.remotePublicKey(), PeerId.parse(secp.peerId()).embeddedPublicKey().orElseThrow());
    assertTrue(host.ping(s).toNanos() > 0);
    assertEquals(KeyType.SECP256K1, s.identified().get(15, TimeUnit.SECONDS).publicKey().type());
    s.close();
    HostTests.waitUntil(
        () -> ((List<?>) secp.call("connections").get("connections")).isEmpty(), "js sees it gone");
    secp.call("dial", "addr", javaAddr(host));
    Connection back =
        HostTests.waitFor(() -> host.connection(PeerId.parse(secp.peerId())).orElse(null));
    assertTrue(host.ping(back).toNanos() > 0);
  }

  @Test
  void dialingJsUnderTheWrongPeerIdIsRefused() throws Exception {
    PeerProcess js = js();
    Host host = java();
    Multiaddr wrong = Multiaddr.parse(js.addr()).withPeerId(NodeIdentity.ephemeral().peerId());
    var e = assertThrows(PeerIdMismatchException.class, () -> host.dial(wrong));
    assertEquals(js.peerId(), e.actual().toString());
    assertTrue(host.connections().isEmpty());
  }

  @Test
  void idleConnectionsSurviveJsConnectionMonitorPings() throws Exception {
    // js pings every connection every 10 s and drops it if the ping fails.
    PeerProcess js = js();
    Host host = java();
    Connection c = host.dial(Multiaddr.parse(js.addr()));
    Thread.sleep(12_500);
    assertTrue(c.isOpen());
    List<?> conns = (List<?>) js.call("connections").get("connections");
    assertEquals(1, conns.size(), conns.toString());
    assertEquals("open", ((Map<?, ?>) conns.getFirst()).get("status"));
  }

  private static Map<String, Object> waitForPeerInfo(PeerProcess js, Host host, String protocol)
      throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (true) {
      try {
        Map<String, Object> info = js.call("peerInfo", "peer", host.peerId().toString());
        if (((List<?>) info.get("protocols")).contains(protocol)) {
          return info;
        }
      } catch (IOException notYet) {
        // The peer store has no entry yet.
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError(
            "js never listed " + protocol + " for " + host.peerId() + "; log:\n" + js.tail());
      }
      Thread.sleep(50);
    }
  }

  private static byte[] sha256(byte[] d) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(d);
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }

  private static double seconds(long start) {
    return (System.nanoTime() - start) / 1e9;
  }
}
