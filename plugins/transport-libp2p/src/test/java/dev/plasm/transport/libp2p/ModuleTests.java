package dev.plasm.transport.libp2p;

import dev.plasm.fixtures.ModuleRules;
import dev.plasm.transport.spi.TransportProvider;
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
        // Base58 for peer ids and the RFC 8032 Ed25519 checks, shared with the node identity.
        .requires("dev.plasm.identity")
        // QUIC (/udp/N/quic-v1): Netty's quiche codec and the channel API it is used through.
        .requires("io.netty.codec.classes.quic")
        .requires("io.netty.transport")
        .requires("io.netty.buffer")
        .requires("io.netty.common")
        .requires("io.netty.handler")
        // The libp2p TLS certificate, built and read with Bouncy Castle's ASN.1 classes.
        .requires("org.bouncycastle.provider")
        // Host, Multiaddr, PeerId, ...: the library API the daemon and the tests use.
        .exports("dev.plasm.transport.libp2p")
        .provides(TransportProvider.class, Libp2pTransportProvider.class)
        .verify();
  }
}
