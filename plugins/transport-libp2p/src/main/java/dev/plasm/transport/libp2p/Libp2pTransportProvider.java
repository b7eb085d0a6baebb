package dev.plasm.transport.libp2p;

import dev.plasm.identity.NodeIdentity;
import dev.plasm.transport.libp2p.internal.transport.Libp2pTransport;
import dev.plasm.transport.spi.InvalidInputException;
import dev.plasm.transport.spi.ReachSettings;
import dev.plasm.transport.spi.RelayServiceLimits;
import dev.plasm.transport.spi.Transport;
import dev.plasm.transport.spi.TransportDescriptor;
import dev.plasm.transport.spi.TransportException;
import dev.plasm.transport.spi.TransportLimits;
import dev.plasm.transport.spi.TransportProvider;
import dev.plasm.transport.spi.TransportSettings;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * This module as a Plasm transport ({@code libp2p}): a {@link Host} listening on TCP multiaddrs
 * with a Kademlia {@link Dht} on {@value Dht#PLASM_PROTOCOL}, keyed by the node identity.
 */
public final class Libp2pTransportProvider implements TransportProvider {
  /** The transport id the daemon's {@code p2p.transport} setting names. */
  public static final String ID = "libp2p";

  private static final TransportDescriptor DESCRIPTOR =
      new TransportDescriptor(
          ID,
          "0.2.0",
          "libp2p: TCP (Noise, Yamux) and QUIC, identify, ping, Kademlia DHT on "
              + Dht.PLASM_PROTOCOL
              + ", circuit relay v2, AutoNAT, hole punching (DCUtR)");

  /** Cheap, as the SPI asks: nothing starts until {@link #start}. */
  public Libp2pTransportProvider() {}

  @Override
  public TransportDescriptor descriptor() {
    return DESCRIPTOR;
  }

  @Override
  public Transport start(TransportSettings settings) {
    TransportLimits l = settings.limits();
    List<Multiaddr> listen = parse(settings.listen(), "listen", false);
    List<Multiaddr> bootstrap = parse(settings.bootstrap(), "bootstrap", true);
    Host host =
        Host.builder()
            .identity(NodeIdentity.fromSeed(settings.identitySeed()))
            .agentVersion(settings.agentVersion())
            .dialTimeout(l.dialTimeout())
            .handshakeTimeout(l.dialTimeout())
            .maxInboundStreams(l.maxInboundStreams())
            .maxPendingHandshakes(l.maxPendingHandshakes())
            .build();
    try {
      for (Multiaddr a : listen) {
        try {
          host.listen(a);
        } catch (IOException | IllegalArgumentException | Libp2pException e) {
          throw new TransportException("cannot listen on " + a + ": " + e.getMessage(), e);
        }
      }
      Dht dht =
          Dht.builder(host)
              .bootstrapPeers(bootstrap)
              .maxValueSize(l.maxValueBytes())
              .maxRecords(l.maxRecords())
              .queryTimeout(l.queryTimeout())
              .build();
      ReachSettings reach = settings.reach();
      List<Multiaddr> relays = parse(reach.relays(), "relays", true);
      if (reach.relayService()) {
        RelayServiceLimits r = reach.relayLimits();
        host.startRelayService(
            new RelayLimits(
                r.maxReservations(),
                r.maxReservationsPerIp(),
                r.reservationTtl(),
                r.maxCircuits(),
                r.maxCircuitsPerPeer(),
                r.circuitDuration(),
                r.circuitBytes(),
                RelayLimits.DEFAULTS.maxRefusalsPerMinute()));
      }
      return new Libp2pTransport(host, host.core(), dht, l, reach, relays);
    } catch (RuntimeException e) {
      host.close();
      throw e;
    }
  }

  private static List<Multiaddr> parse(List<String> texts, String field, boolean needsPeerId) {
    List<Multiaddr> out = new ArrayList<>();
    for (int i = 0; i < texts.size(); i++) {
      String f = field + "[" + i + "]";
      Multiaddr a;
      try {
        a = Multiaddr.parse(texts.get(i));
      } catch (IllegalArgumentException e) {
        throw new InvalidInputException(f, f + ": " + e.getMessage());
      }
      if (needsPeerId && a.peerId().isEmpty()) {
        throw new InvalidInputException(f, f + ": '" + a + "' must end in /p2p/<peer id>");
      }
      if (!needsPeerId && a.peerId().isPresent()) {
        throw new InvalidInputException(
            f, f + ": '" + a + "' must not name a peer (drop /p2p/...)");
      }
      out.add(a);
    }
    return out;
  }
}
