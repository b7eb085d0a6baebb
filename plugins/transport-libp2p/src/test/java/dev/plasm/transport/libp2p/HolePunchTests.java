package dev.plasm.transport.libp2p;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * DCUtR on loopback, where no NAT is in the way: the protocol's exchange (CONNECT, CONNECT, SYNC)
 * runs over the relayed connection, the dialer dials the target's observed QUIC address, and the
 * direct connection replaces the relayed one. The NAT case is in NatTraversalTests.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class HolePunchTests {
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
    h.listen(QuicTests.QUIC_LOOPBACK);
    h.startHolePunching();
    return h;
  }

  @Test
  void aRelayedConnectionIsUpgradedToADirectQuicConnection() throws Exception {
    Host relay = host();
    relay.startRelayService(RelayLimits.DEFAULTS);
    Host b = host();
    Host a = host();
    Multiaddr circuit = b.reserve(QuicTests.quicAddr(relay)).addrs().getFirst();
    a.dial(QuicTests.quicAddr(relay)); // so that the relay tells a its observed address too
    Connection relayed = a.dial(circuit.withPeerId(b.peerId()));
    assertTrue(relayed.isRelayed());
    Connection direct =
        HostTests.waitFor(() -> a.connection(b.peerId()).filter(c -> !c.isRelayed()).orElse(null));
    assertTrue(direct.remoteAddr().isQuic(), direct.toString());
    assertEquals(
        QuicTests.quicAddr(b).withoutPeerId(),
        direct.remoteAddr(),
        "a dialed b's observed QUIC address");
    assertTrue(direct.isOutbound(), "the dialer of the relayed connection dials");
    HostTests.waitUntil(() -> !relayed.isOpen(), "the relayed connection drains and closes");
    try (Stream s = a.connection(b.peerId()).orElseThrow().newStream(HostTests.ECHO)) {
      s.output().write("direct".getBytes());
      s.closeWrite();
      assertEquals("direct", new String(s.input().readAllBytes()));
    }
    assertFalse(b.connection(a.peerId()).orElseThrow().isRelayed());
  }
}
