package dev.plasm.transport.libp2p;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.identity.NodeIdentity;
import dev.plasm.transport.spi.ConnectedPeer;
import dev.plasm.transport.spi.DhtKey;
import dev.plasm.transport.spi.InvalidInputException;
import dev.plasm.transport.spi.PeerAddresses;
import dev.plasm.transport.spi.PeerStream;
import dev.plasm.transport.spi.PeerUnreachableException;
import dev.plasm.transport.spi.Transport;
import dev.plasm.transport.spi.TransportException;
import dev.plasm.transport.spi.TransportLimits;
import dev.plasm.transport.spi.TransportProvider;
import dev.plasm.transport.spi.TransportSettings;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.ServiceLoader;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The libp2p transport as the daemon sees it: found with ServiceLoader, driven only through the SPI. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class TransportProviderTests {
  private static final TransportLimits LIMITS =
      new TransportLimits(64, 16, 1024, 1000, Duration.ofSeconds(5), Duration.ofSeconds(10));

  static TransportProvider provider() {
    // The module only provides the service; the daemon is the one that declares `uses`.
    TransportProviderTests.class.getModule().addUses(TransportProvider.class);
    List<TransportProvider> ps =
        ServiceLoader.load(TransportProvider.class).stream()
            .map(ServiceLoader.Provider::get)
            .filter(p -> p.descriptor().id().equals("libp2p"))
            .toList();
    assertEquals(1, ps.size(), "one libp2p provider through ServiceLoader");
    return ps.getFirst();
  }

  static Transport start(NodeIdentity id, List<String> bootstrap) {
    return provider()
        .start(
            new TransportSettings(
                List.of("/ip4/127.0.0.1/tcp/0"), bootstrap, seed(id), "plasm/test", LIMITS));
  }

  /** The seed of an identity made from a known seed. */
  static byte[] seed(NodeIdentity id) {
    return id.privateKeySeed();
  }

  @Test
  void twoNodesFindEachOtherAndShareTheDht() throws Exception {
    NodeIdentity ida = NodeIdentity.ephemeral();
    NodeIdentity idb = NodeIdentity.ephemeral();
    try (Transport a = start(ida, List.of());
        Transport b = start(idb, List.of())) {
      assertEquals(ida.peerId().toString(), a.peerId(), "the node's peer id is its identity's");
      String aAddr = a.listenAddresses().getFirst();
      assertTrue(
          aAddr.startsWith("/ip4/127.0.0.1/tcp/") && aAddr.endsWith("/p2p/" + a.peerId()), aAddr);
      try (Transport c =
          provider()
              .start(
                  new TransportSettings(
                      List.of("/ip4/127.0.0.1/tcp/0"),
                      List.of(aAddr),
                      seed(NodeIdentity.ephemeral()),
                      "plasm/test",
                      LIMITS))) {
        assertTrue(c.bootstrap() >= 1);
        // Identify runs beside the bootstrap's requests, so it may still be under way.
        long identifyDeadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        ConnectedPeer polled;
        while ((polled =
                c.peers().stream()
                    .filter(p -> p.peerId().equals(a.peerId()))
                    .findFirst()
                    .orElseThrow())
            .agentVersion()
            .isEmpty()) {
          assertTrue(System.nanoTime() < identifyDeadline, "a was never identified: " + polled);
          Thread.sleep(20);
        }
        ConnectedPeer seen = polled;
        assertEquals(ConnectedPeer.Direction.OUTBOUND, seen.direction());
        assertTrue(seen.protocols().contains(Dht.PLASM_PROTOCOL), seen::toString);
        assertEquals("plasm/test", seen.agentVersion());
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (a.peers().stream()
            .noneMatch(
                p ->
                    p.peerId().equals(c.peerId())
                        && p.direction() == ConnectedPeer.Direction.INBOUND)) {
          assertTrue(System.nanoTime() < deadline, "a never saw c: " + a.peers());
          Thread.sleep(50);
        }
        DhtKey key = new DhtKey("/plasm/test/value");
        c.putValue(key, "hello".getBytes(StandardCharsets.UTF_8));
        assertArrayEquals("hello".getBytes(StandardCharsets.UTF_8), a.getValue(key).orElseThrow());

        DhtKey content = new DhtKey("/plasm/module/abc");
        a.provide(content);
        List<PeerAddresses> providers = c.findProviders(content, 5);
        assertTrue(
            providers.stream().anyMatch(p -> p.peerId().equals(a.peerId())), providers::toString);

        PeerAddresses found = c.findPeer(a.peerId()).orElseThrow();
        assertTrue(found.addresses().stream().anyMatch(x -> aAddr.startsWith(x)), found::toString);
        assertTrue(c.ping(a.peerId()).toNanos() > 0);

        a.setStreamHandler("/plasm/test-echo/1.0.0", s -> s.input().transferTo(s.output()));
        try (PeerStream s = c.openStream(a.peerId(), "/plasm/test-echo/1.0.0")) {
          s.output().write("ping".getBytes(StandardCharsets.UTF_8));
          s.output().flush();
          s.closeWrite();
          assertEquals("ping", new String(s.input().readAllBytes(), StandardCharsets.UTF_8));
          assertEquals(a.peerId(), s.peerId());
        }
        assertThrows(
            PeerUnreachableException.class, () -> c.openStream(a.peerId(), "/plasm/nobody/1.0.0"));
        assertTrue(a.removeStreamHandler("/plasm/test-echo/1.0.0"));
      }
      // b never joined: it knows nobody and cannot reach a.
      assertEquals(List.of(), b.peers());
      assertThrows(PeerUnreachableException.class, () -> b.ping(a.peerId()));
    }
  }

  @Test
  void badInputIsRefusedNamingTheField() {
    NodeIdentity id = NodeIdentity.ephemeral();
    TransportProvider p = provider();
    var e =
        assertThrows(
            InvalidInputException.class,
            () ->
                p.start(
                    new TransportSettings(
                        List.of("/ip4/127.0.0.1/tcp/0", "/ip4/nope/tcp/1"),
                        List.of(),
                        seed(id),
                        "x",
                        LIMITS)));
    assertEquals("listen[1]", e.field());
    e =
        assertThrows(
            InvalidInputException.class,
            () ->
                p.start(
                    new TransportSettings(
                        List.of("/ip4/127.0.0.1/tcp/0"),
                        List.of("/ip4/127.0.0.1/tcp/4001"),
                        seed(id),
                        "x",
                        LIMITS)));
    assertEquals("bootstrap[0]", e.field());
    assertTrue(e.getMessage().contains("/p2p/"), e.getMessage());
    e = assertThrows(InvalidInputException.class, () -> new DhtKey("/ipns/x"));
    assertEquals("key", e.field());
    try (Transport t = start(id, List.of())) {
      e = assertThrows(InvalidInputException.class, () -> t.findPeer("not-a-peer"));
      assertEquals("peerId", e.field());
      e =
          assertThrows(
              InvalidInputException.class,
              () -> t.putValue(new DhtKey("/plasm/big"), new byte[1025]));
      assertEquals("value", e.field());
      t.close();
      assertThrows(TransportException.class, t::peers);
      assertEquals(id.peerId().toString(), t.peerId());
    }
  }

  @Test
  void aPortInUseIsATransportError() {
    NodeIdentity id = NodeIdentity.ephemeral();
    try (Transport a = start(id, List.of())) {
      String taken = a.listenAddresses().getFirst();
      String bind = taken.substring(0, taken.indexOf("/p2p/"));
      var e =
          assertThrows(
              TransportException.class,
              () ->
                  provider()
                      .start(
                          new TransportSettings(
                              List.of(bind),
                              List.of(),
                              seed(NodeIdentity.ephemeral()),
                              "x",
                              LIMITS)));
      assertTrue(e.getMessage().contains("cannot listen on " + bind), e.getMessage());
    }
  }
}
