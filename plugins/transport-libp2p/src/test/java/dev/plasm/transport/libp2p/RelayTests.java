package dev.plasm.transport.libp2p;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.identity.NodeIdentity;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Circuit relay v2 between Java hosts on loopback: reservations, relayed connections, limits, abuse. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class RelayTests {
  private final List<Host> hosts = new ArrayList<>();

  @AfterEach
  void closeHosts() {
    hosts.reversed().forEach(Host::close);
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
    h.listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"));
    return h;
  }

  private Host relay(RelayLimits limits) throws IOException {
    Host r = host();
    r.startRelayService(limits);
    return r;
  }

  private static RelayLimits limits(
      int maxReservations, Duration circuitDuration, long circuitBytes, int maxRefusals) {
    return new RelayLimits(
        maxReservations, 8, Duration.ofHours(1), 16, 4, circuitDuration, circuitBytes, maxRefusals);
  }

  private static String echo(Connection c, String text) throws IOException {
    try (Stream s = c.newStream(HostTests.ECHO)) {
      s.output().write(text.getBytes());
      s.closeWrite();
      return new String(s.input().readAllBytes());
    }
  }

  @Test
  void aPeerReservesAndIsReachedThroughTheRelay() throws Exception {
    Host r = relay(RelayLimits.DEFAULTS);
    Host b = host();
    Host c = host();
    RelayReservation res = b.reserve(HostTests.addr(r));
    assertEquals(r.peerId(), res.relay());
    assertTrue(res.expires().isAfter(Instant.now().plus(Duration.ofMinutes(59))), res.toString());
    assertEquals(Duration.ofMinutes(2), res.circuitDuration());
    assertEquals(128 * 1024, res.circuitBytes());
    Multiaddr circuit = res.addrs().getFirst();
    assertEquals(HostTests.addr(r) + "/p2p-circuit", circuit.toString());
    assertTrue(
        b.listenAddrs().contains(circuit), "the relayed address is announced: " + b.listenAddrs());

    Connection viaRelay = c.dial(circuit.withPeerId(b.peerId()));
    assertTrue(viaRelay.isRelayed());
    assertEquals(b.peerId(), viaRelay.remotePeer());
    assertEquals("through the relay", echo(viaRelay, "through the relay"));
    assertTrue(c.ping(viaRelay).toNanos() > 0);
    assertTrue(viaRelay.identified().get(10, TimeUnit.SECONDS).listenAddrs().contains(circuit));
    Connection atB = HostTests.waitFor(() -> b.connection(c.peerId()).orElse(null));
    assertTrue(atB.isRelayed() && !atB.isOutbound());
    assertEquals(HostTests.addr(r) + "/p2p-circuit", atB.remoteAddr().toString());
    assertEquals("back", echo(atB, "back"), "the target opens streams on it too");
    assertEquals(
        1, r.connections().stream().filter(x -> x.remotePeer().equals(c.peerId())).count());

    // A direct connection replaces the relayed one: new streams go direct, the circuit drains.
    Connection direct = c.dial(HostTests.addr(b));
    assertFalse(direct.isRelayed());
    HostTests.waitUntil(() -> !viaRelay.isOpen(), "the relayed connection closes once idle");
    assertEquals("direct", echo(c.connection(b.peerId()).orElseThrow(), "direct"));

    assertTrue(b.releaseReservation(r.peerId()));
    assertFalse(b.listenAddrs().stream().anyMatch(Multiaddr::isCircuit));
  }

  @Test
  void aPeerWithoutAReservationCannotBeReachedAndTheRelayCountsItsSlots() throws Exception {
    Host r = relay(limits(1, Duration.ofMinutes(2), 1 << 20, 16));
    Host b = host();
    Host c = host();
    Host d = host();
    Multiaddr circuitToB = Multiaddr.parse(HostTests.addr(r) + "/p2p-circuit/p2p/" + b.peerId());
    IOException noRes = assertThrows(IOException.class, () -> c.dial(circuitToB));
    assertTrue(noRes.getMessage().contains("NO_RESERVATION"), noRes.getMessage());
    b.reserve(HostTests.addr(r));
    Libp2pException full = assertThrows(Libp2pException.class, () -> d.reserve(HostTests.addr(r)));
    assertTrue(full.getMessage().contains("RESERVATION_REFUSED"), full.getMessage());
    assertEquals(b.peerId(), c.dial(circuitToB).remotePeer(), "the held reservation works");
    assertEquals(1, r.core().relayService().orElseThrow().reservationCount());
  }

  @Test
  void aCircuitIsResetAtItsByteLimitAndAtItsDuration() throws Exception {
    Host r = relay(limits(8, Duration.ofSeconds(2), 64 * 1024, 16));
    Host b = host();
    Host c = host();
    Multiaddr circuit = b.reserve(HostTests.addr(r)).addrs().getFirst().withPeerId(b.peerId());
    Connection viaRelay = c.dial(circuit);
    assertEquals("small", echo(viaRelay, "small"));
    // 256 KiB is past the relay's 64 KiB per direction: the circuit is reset mid-transfer.
    assertThrows(
        IOException.class,
        () -> {
          try (Stream s = viaRelay.newStream(HostTests.ECHO)) {
            s.output().write(new byte[256 * 1024]);
            s.closeWrite();
            s.input().readAllBytes();
          }
        });
    HostTests.waitUntil(() -> !viaRelay.isOpen(), "the relayed connection ends with its circuit");
    // A new circuit lasts its 2 s, then it is reset too.
    Connection second = c.dial(circuit);
    assertEquals("again", echo(second, "again"));
    long start = System.nanoTime();
    HostTests.waitUntil(() -> !second.isOpen(), "the circuit ends at its duration");
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(8));
    HostTests.waitUntil(
        () -> r.core().relayService().orElseThrow().circuitCount() == 0,
        "no circuit left on the relay");
  }

  @Test
  void aPeerThatKeepsAskingForWhatItMayNotHaveIsDroppedAndTheRelayKeepsServing() throws Exception {
    Host r = relay(limits(1, Duration.ofMinutes(2), 1 << 20, 3));
    List<PeerDrop> drops = new CopyOnWriteArrayList<>();
    r.addDropListener(drops::add);
    Host b = host();
    Host c = host();
    Multiaddr circuit = b.reserve(HostTests.addr(r)).addrs().getFirst().withPeerId(b.peerId());
    // A reservation flood from another peer: the relay is full, each request is refused.
    Host flood = host();
    for (int i = 0; i < 3; i++) {
      assertThrows(Libp2pException.class, () -> flood.reserve(HostTests.addr(r)));
    }
    assertEquals(List.of(), drops, "three refusals are within the limit");
    assertThrows(Exception.class, () -> flood.reserve(HostTests.addr(r)));
    HostTests.waitUntil(() -> !drops.isEmpty(), "the flooding peer is dropped");
    Thread.sleep(300);
    assertEquals(1, drops.size(), drops.toString());
    assertEquals(PeerDrop.Reason.MISBEHAVED, drops.getFirst().reason());
    assertEquals(flood.peerId(), drops.getFirst().peer().orElseThrow());
    assertTrue(
        drops.getFirst().detail().startsWith("relay abuse: 4 refused hop requests"),
        drops.getFirst().detail());
    HostTests.waitUntil(() -> r.connection(flood.peerId()).isEmpty(), "its connection is closed");

    // CONNECT abuse: asking again and again for a peer that holds no reservation.
    Multiaddr nobody =
        Multiaddr.parse(
            HostTests.addr(r) + "/p2p-circuit/p2p/" + NodeIdentity.ephemeral().peerId());
    Host prober = host();
    for (int i = 0; i < 4; i++) {
      assertThrows(IOException.class, () -> prober.dial(nobody));
    }
    HostTests.waitUntil(() -> drops.size() == 2, "the probing peer is dropped too");
    assertEquals(prober.peerId(), drops.get(1).peer().orElseThrow());

    // The relay still serves the well-behaved peers.
    assertEquals("still served", echo(c.dial(circuit), "still served"));
  }
}
