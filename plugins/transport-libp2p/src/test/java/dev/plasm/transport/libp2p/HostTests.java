package dev.plasm.transport.libp2p;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.identity.NodeIdentity;
import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.testing.Echo;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Two Java hosts on loopback: the whole upgrade, streams, identify, push and ping. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HostTests {
  static final String ECHO = "/plasm/test/echo/1.0.0";
  private static final Multiaddr LOOPBACK = Multiaddr.parse("/ip4/127.0.0.1/tcp/0");
  private final List<Host> hosts = new ArrayList<>();

  @AfterEach
  void closeHosts() {
    hosts.forEach(Host::close);
  }

  private Host host(Host.Builder b) throws IOException {
    Host h = b.build();
    hosts.add(h);
    h.setHandler(
        ECHO,
        s -> {
          s.input().transferTo(s.output());
          s.closeWrite();
        });
    h.listen(LOOPBACK);
    return h;
  }

  private Host host() throws IOException {
    return host(Host.builder());
  }

  static Multiaddr addr(Host h) {
    return h.listenAddrs().getFirst().withPeerId(h.peerId());
  }

  @Test
  void dialOpenStreamAndEcho() throws Exception {
    Host a = host();
    Host b = host();
    Connection c = a.dial(addr(b));
    assertEquals(b.peerId(), c.remotePeer());
    assertTrue(c.isOutbound());
    assertEquals(b.listenAddrs().getFirst(), c.remoteAddr());
    try (Stream s = c.newStream("/nope/1.0.0", ECHO)) {
      assertEquals(ECHO, s.protocol());
      s.output().write("hello libp2p".getBytes());
      s.closeWrite();
      assertEquals("hello libp2p", new String(s.input().readAllBytes()));
    }
    assertSame(c, a.dial(addr(b)), "an open connection to the peer is reused");
    waitUntil(() -> b.connection(a.peerId()).isPresent(), "b sees the connection");
    Connection back = b.connection(a.peerId()).orElseThrow();
    assertFalse(back.isOutbound());
    assertEquals(a.peerId(), back.remotePeer());
  }

  @Test
  void identifyBothWaysListsProtocolsAgentAndObservedAddress() throws Exception {
    Host a = host(Host.builder().agentVersion("plasm-test/9"));
    Host b = host();
    Connection c = a.dial(addr(b));
    IdentifyInfo info = c.identified().get(10, TimeUnit.SECONDS);
    assertEquals(Host.DEFAULT_AGENT_VERSION, info.agentVersion());
    assertEquals("ipfs/0.1.0", info.protocolVersion());
    assertTrue(
        info.protocols().containsAll(List.of(ECHO, Host.IDENTIFY, Host.IDENTIFY_PUSH, Host.PING)),
        info.protocols().toString());
    assertEquals(b.listenAddrs(), info.listenAddrs());
    assertEquals(c.localAddr(), info.observedAddr().orElseThrow());
    assertEquals(b.peerId(), info.publicKey().peerId());

    Connection back = waitFor(() -> b.connection(a.peerId()).orElse(null));
    IdentifyInfo fromA = back.identified().get(10, TimeUnit.SECONDS);
    assertEquals("plasm-test/9", fromA.agentVersion());
    assertEquals(a.listenAddrs(), fromA.listenAddrs());
    assertEquals(fromA, b.identify(back), "an explicit identify says the same");
  }

  @Test
  void newHandlersArePushedToConnectedPeers() throws Exception {
    Host a = host();
    Host b = host();
    Connection c = a.dial(addr(b));
    c.identified().get(10, TimeUnit.SECONDS);
    b.setHandler("/plasm/new/1.0.0", s -> {});
    waitUntil(
        () -> c.identifyInfo().orElseThrow().protocols().contains("/plasm/new/1.0.0"),
        "the push arrives");
    b.removeHandler("/plasm/new/1.0.0");
    waitUntil(
        () -> !c.identifyInfo().orElseThrow().protocols().contains("/plasm/new/1.0.0"),
        "the removal is pushed");
    assertEquals(Host.DEFAULT_AGENT_VERSION, c.identifyInfo().orElseThrow().agentVersion());
  }

  @Test
  void pingBothWays() throws Exception {
    Host a = host();
    Host b = host();
    Connection c = a.dial(addr(b));
    Duration rtt = a.ping(c);
    assertTrue(rtt.toNanos() > 0 && rtt.toSeconds() < 10);
    Connection back = waitFor(() -> b.connection(a.peerId()).orElse(null));
    assertTrue(b.ping(back).toNanos() > 0);
  }

  @Test
  void dialingTheWrongPeerIdIsRefused() throws Exception {
    Host a = host();
    Host b = host();
    PeerId impostor = NodeIdentity.ephemeral().peerId();
    var e =
        assertThrows(
            PeerIdMismatchException.class,
            () -> a.dial(b.listenAddrs().getFirst().withPeerId(impostor)));
    assertEquals(b.peerId(), e.actual());
    assertTrue(a.connections().isEmpty());
    var noId =
        assertThrows(IllegalArgumentException.class, () -> a.dial(b.listenAddrs().getFirst()));
    assertTrue(noId.getMessage().contains("/p2p/"), noId.getMessage());
  }

  @Test
  void unsupportedProtocolsAndFailingHandlersLeaveTheConnectionUsable() throws Exception {
    Host a = host();
    Host b = host();
    b.setHandler(
        "/plasm/fails/1.0.0",
        s -> {
          throw new IllegalStateException("boom");
        });
    Connection c = a.dial(addr(b));
    var e = assertThrows(ProtocolNotSupportedException.class, () -> c.newStream("/x/1", "/y/1"));
    assertEquals(List.of("/x/1", "/y/1"), e.proposed());
    try (Stream s = c.newStream("/plasm/fails/1.0.0")) {
      var reset = assertThrows(IOException.class, () -> s.input().read());
      assertTrue(reset.getMessage().contains("reset"), reset.getMessage());
    }
    assertTrue(a.ping(c).toNanos() > 0);
  }

  @Test
  void bothMuxerSelectionPathsWork() throws Exception {
    Host inline = host();
    Host plain = host(Host.builder().inlineMuxerNegotiation(false));
    for (Connection c : List.of(inline.dial(addr(plain)), plain.dial(addr(inline)))) {
      try (Stream s = c.newStream(ECHO)) {
        s.output().write(7);
        s.closeWrite();
        assertEquals(7, s.input().read());
      }
    }
  }

  @Test
  void closingAHostClosesItsConnectionsAtThePeer() throws Exception {
    Host a = host();
    Host b = host();
    Connection c = a.dial(addr(b));
    Connection back = waitFor(() -> b.connection(a.peerId()).orElse(null));
    b.close();
    c.closed().get(5, TimeUnit.SECONDS);
    assertFalse(c.isOpen());
    assertFalse(back.isOpen());
    assertThrows(IOException.class, () -> c.newStream(ECHO));
    waitUntil(() -> a.connections().isEmpty(), "a forgets the closed connection");
  }

  @Test
  void aSilentTcpClientIsDroppedAfterTheHandshakeTimeout() throws Exception {
    Host b = host(Host.builder().handshakeTimeout(Duration.ofMillis(300)));
    var sa = b.listenAddrs().getFirst();
    try (Socket s =
        new Socket(
            InetAddress.getLoopbackAddress(),
            Integer.parseInt(sa.components().get(1).valueText()))) {
      s.setSoTimeout(5000);
      InputStream in = s.getInputStream();
      // The listener sends its multistream header, then gives up on us.
      in.readNBytes(20);
      assertEquals(-1, in.read());
    }
  }

  @Test
  void severalMebibytesEachWayAndManyParallelStreams() throws Exception {
    Host a = host();
    Host b = host();
    Connection c = a.dial(addr(b));
    byte[] data = new byte[8 * 1024 * 1024];
    new Random(5).nextBytes(data);
    long start = System.nanoTime();
    try (Stream s = c.newStream(ECHO)) {
      byte[] back =
          Echo.roundTrip(s.input(), s.output(), s::closeWrite, data, Duration.ofSeconds(30));
      assertArrayEquals(sha256(data), sha256(back));
    }
    double seconds = (System.nanoTime() - start) / 1e9;
    System.out.printf(
        "Java<->Java echo of 8 MiB each way: %.2f s (%.1f MiB/s each way)%n", seconds, 8 / seconds);

    List<CompletableFuture<Boolean>> results = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      int seed = i;
      results.add(
          CompletableFuture.supplyAsync(
              () -> {
                byte[] d = new byte[64 * 1024];
                new Random(seed).nextBytes(d);
                try (Stream s = c.newStream(ECHO)) {
                  s.output().write(d);
                  s.closeWrite();
                  return MessageDigest.isEqual(d, s.input().readAllBytes());
                } catch (IOException e) {
                  throw new RuntimeException(e);
                }
              },
              Thread::startVirtualThread));
    }
    for (var r : results) {
      assertTrue(r.get(30, TimeUnit.SECONDS));
    }
  }

  static byte[] sha256(byte[] data) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(data);
  }

  interface Check {
    boolean ok() throws Exception;
  }

  static void waitUntil(Check condition, String what) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.ok()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(20);
    }
  }

  interface Supplier<T> {
    T get() throws Exception;
  }

  static <T> T waitFor(Supplier<T> s) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (true) {
      T t = s.get();
      if (t != null) {
        return t;
      }
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out");
      }
      Thread.sleep(20);
    }
  }
}
