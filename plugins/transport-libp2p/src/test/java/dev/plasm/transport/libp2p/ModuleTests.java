package dev.plasm.transport.libp2p;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.plasm.fixtures.ModuleRules;
import dev.plasm.identity.PeerId;
import dev.plasm.transport.spi.TransportProvider;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The module's allowed shape: a plugin offering libp2p on the transport SPI, its public package
 * exported (the internal ones not), and beyond Plasm only Netty's QUIC codec and Bouncy Castle.
 */
class ModuleTests {

  @Test
  void hasItsDeclaredShape() {
    ModuleRules.of(Host.class)
        // Libp2pException extends dev.plasm.api.PlasmException; Libp2pTransportProvider's types
        // come from the transport SPI: users of the exported package see both.
        .requiresTransitive("dev.plasm.api")
        .requiresTransitive("dev.plasm.transport.spi")
        // Keys and peer ids have one owner: Host, Multiaddr and Connection show identity's PeerId,
        // PeerPublicKey and NodeIdentity, so users read identity through this module; no key
        // type of this module's own is exported.
        .requiresTransitive("dev.plasm.identity")
        // QUIC (/udp/N/quic-v1): Netty's quiche codec and the channel API it is used through.
        .requires("io.netty.codec.classes.quic")
        .requires("io.netty.transport")
        .requires("io.netty.buffer")
        .requires("io.netty.common")
        .requires("io.netty.handler")
        // The libp2p TLS certificate, built and read with Bouncy Castle's ASN.1 classes.
        .requires("org.bouncycastle.provider")
        // Host, Multiaddr, Dht, ...: the library API the daemon and the tests use.
        .exports("dev.plasm.transport.libp2p")
        .provides(TransportProvider.class, Libp2pTransportProvider.class)
        .verify();
  }

  /** Keys and peer ids have one owner: the exported package holds no key API of its own. */
  @Test
  void exportsNoSecondKeyApi() {
    for (String name :
        List.of(
            "PeerId", "PeerPublicKey", "PeerKeyPair", "KeyType", "UnsupportedKeyTypeException")) {
      assertThrows(
          ClassNotFoundException.class,
          () -> Class.forName("dev.plasm.transport.libp2p." + name),
          "dev.plasm.transport.libp2p." + name + ": use dev.plasm.identity's");
    }
    assertEquals(
        PeerId.class,
        Multiaddr.parse(
                "/ip4/127.0.0.1/tcp/1/p2p/12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq")
            .peerId()
            .orElseThrow()
            .getClass());
  }
}
