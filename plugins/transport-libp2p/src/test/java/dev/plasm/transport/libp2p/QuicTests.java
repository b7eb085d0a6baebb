package dev.plasm.transport.libp2p;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.identity.NodeIdentity;
import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.internal.quic.RawQuicClient;
import java.io.IOException;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Two Java hosts over QUIC on loopback: TLS with libp2p certificates, streams, identify, ping. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class QuicTests {
  static final Multiaddr QUIC_LOOPBACK = Multiaddr.parse("/ip4/127.0.0.1/udp/0/quic-v1");
  private final List<Host> hosts = new ArrayList<>();

  @AfterEach
  void closeHosts() {
    hosts.forEach(Host::close);
  }

  private Host host() throws IOException {
    Host h = Host.builder().build();
    hosts.add(h);
    h.setHandler(
        HostTests.ECHO,
        s -> {
          s.input().transferTo(s.output());
          s.closeWrite();
        });
    h.listen(QUIC_LOOPBACK);
    return h;
  }

  static Multiaddr quicAddr(Host h) {
    return h.listenAddrs().stream()
        .filter(Multiaddr::isQuic)
        .findFirst()
        .orElseThrow()
        .withPeerId(h.peerId());
  }

  @Test
  void dialEchoIdentifyAndPingOverQuic() throws Exception {
    Host a = host();
    Host b = host();
    Multiaddr bAddr = quicAddr(b);
    assertTrue(
        bAddr.toString().matches("/ip4/127\\.0\\.0\\.1/udp/\\d+/quic-v1/p2p/.*"), bAddr.toString());
    Connection c = a.dial(bAddr);
    assertEquals(b.peerId(), c.remotePeer());
    assertTrue(c.isOutbound());
    assertEquals(bAddr.withoutPeerId(), c.remoteAddr());
    try (Stream s = c.newStream("/nope/1.0.0", HostTests.ECHO)) {
      assertEquals(HostTests.ECHO, s.protocol());
      s.output().write("hello quic".getBytes());
      s.closeWrite();
      assertEquals("hello quic", new String(s.input().readAllBytes()));
    }
    assertSame(c, a.dial(bAddr), "an open connection to the peer is reused");
    assertTrue(a.ping(c).toNanos() > 0);
    IdentifyInfo info = c.identified().get(10, TimeUnit.SECONDS);
    assertTrue(info.protocols().contains(HostTests.ECHO), info.toString());
    assertTrue(info.listenAddrs().contains(bAddr.withoutPeerId()), info.toString());
    HostTests.waitUntil(() -> b.connection(a.peerId()).isPresent(), "b sees the connection");
    Connection back = b.connection(a.peerId()).orElseThrow();
    assertFalse(back.isOutbound());
    assertTrue(b.ping(back).toNanos() > 0, "b pings a on the connection a dialed");
    // Our dials leave from our QUIC listen port, so b observes a at its listen address.
    IdentifyInfo bSeen = back.identified().get(10, TimeUnit.SECONDS);
    assertEquals(quicAddr(a).withoutPeerId(), back.remoteAddr(), "a dialed from its listen port");
    assertTrue(bSeen.listenAddrs().contains(quicAddr(a).withoutPeerId()));
  }

  @Test
  void aClosedQuicConnectionIsNeverReusedByTheNextDial() throws Exception {
    Host a = host();
    Host b = host();
    Connection previous = null;
    for (int i = 0; i < 5; i++) {
      // Netty closes a QUIC channel on its event loop a moment after close() returns: the next
      // dial, right after, must still get a new connection.
      Connection c = a.dial(quicAddr(b));
      assertNotSame(previous, c, "round " + i + " got the connection closed in the round before");
      assertTrue(a.ping(c).toNanos() > 0, "round " + i);
      c.close();
      assertFalse(c.isOpen());
      previous = c;
    }
  }

  @Test
  void aQuicPeerThatStopsAnsweringIsClosedAsUnresponsive() throws Exception {
    Host h = Host.builder().keepAlive(Duration.ofMillis(300), Duration.ofMillis(700)).build();
    hosts.add(h);
    h.listen(QUIC_LOOPBACK);
    List<PeerId> unresponsive = new CopyOnWriteArrayList<>();
    h.core().addUnresponsivePeerListener(unresponsive::add);
    try (RawQuicClient silent = new RawQuicClient()) {
      // QUIC itself stays up (the client's stack acknowledges every packet): only the liveness
      // ping, a stream nobody answers, shows that nobody is there.
      assertNotNull(
          silent.connect(quicAddr(h).toQuicSocketAddress(), RawQuicClient.BadCertificate.VALID));
      HostTests.waitUntil(() -> !h.connections().isEmpty(), "the silent peer is admitted");
      Connection c = h.connections().getFirst();
      String reason = c.closed().get(10, TimeUnit.SECONDS);
      HostTests.waitUntil(
          () -> unresponsive.contains(c.remotePeer()),
          "the unresponsive-peer listener heard of it: " + reason);
    }
  }

  @Test
  void livenessPingsDoNotKeepAnIdleQuicConnectionOpen() throws Exception {
    Host a =
        Host.builder()
            .keepAlive(Duration.ofMillis(200), Duration.ofSeconds(2))
            .idleTimeout(Duration.ofSeconds(2))
            .build();
    Host b = Host.builder().keepAlive(Duration.ofMillis(200), Duration.ofSeconds(2)).build();
    hosts.add(a);
    hosts.add(b);
    a.listen(QUIC_LOOPBACK);
    b.listen(QUIC_LOOPBACK);
    List<PeerId> unresponsive = new CopyOnWriteArrayList<>();
    a.core().addUnresponsivePeerListener(unresponsive::add);
    long start = System.nanoTime();
    Connection c = a.dial(quicAddr(b));
    c.identified().get(10, TimeUnit.SECONDS);
    String reason = c.closed().get(15, TimeUnit.SECONDS);
    long seconds = (System.nanoTime() - start) / 1_000_000_000L;
    // Pings flowed every 200 ms both ways, yet the connection without streams was closed as idle.
    assertTrue(seconds >= 2, "not before the idle timeout: " + seconds + " s, " + reason);
    assertTrue(unresponsive.isEmpty(), "closed as idle, not as unresponsive: " + unresponsive);
  }

  @Test
  void eightMebibytesEachWayAndSixtyFourParallelStreams() throws Exception {
    Host a = host();
    Host b = host();
    Connection c = a.dial(quicAddr(b));
    byte[] big = new byte[8 * 1024 * 1024];
    new Random(7).nextBytes(big);
    try (Stream s = c.newStream(HostTests.ECHO)) {
      CompletableFuture<byte[]> back =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return s.input().readAllBytes();
                } catch (IOException e) {
                  throw new RuntimeException(e);
                }
              });
      s.output().write(big);
      s.closeWrite();
      assertArrayEquals(sha(big), sha(back.get(30, TimeUnit.SECONDS)));
    }
    List<CompletableFuture<Boolean>> all = new ArrayList<>();
    for (int i = 0; i < 64; i++) {
      byte[] data = new byte[256 * 1024];
      new Random(i).nextBytes(data);
      all.add(
          CompletableFuture.supplyAsync(
              () -> {
                try (Stream s = c.newStream(HostTests.ECHO)) {
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
      assertTrue(f.get(60, TimeUnit.SECONDS));
    }
  }

  @Test
  void aWrongPeerIdIsRefusedInsideTheHandshake() throws Exception {
    Host a = host();
    Host b = host();
    PeerId other = NodeIdentity.ephemeral().peerId();
    PeerIdMismatchException e =
        assertThrows(PeerIdMismatchException.class, () -> a.dial(quicAddr(b).withPeerId(other)));
    assertEquals(other, e.expected());
    assertEquals(b.peerId(), e.actual());
    assertTrue(a.connections().isEmpty());
    assertEquals(b.peerId(), a.dial(quicAddr(b)).remotePeer(), "the right id still dials");
  }

  private static byte[] sha(byte[] data) throws Exception {
    return MessageDigest.getInstance("SHA-256").digest(data);
  }
}
