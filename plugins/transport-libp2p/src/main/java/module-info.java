/**
 * libp2p for Plasm on the plain JDK: multiaddrs, TCP with multistream-select, Noise XX and Yamux,
 * QUIC with libp2p's TLS certificates, the identify and ping protocols, a Kademlia DHT, circuit
 * relays, AutoNAT and hole punching, interoperable with js-libp2p. Keys and peer ids are {@code
 * dev.plasm.identity}'s.
 * {@link dev.plasm.transport.libp2p.Libp2pTransportProvider} offers it to the daemon as the {@code
 * libp2p} transport.
 *
 * <p>Only {@code dev.plasm.transport.libp2p} is exported; the wire codecs, Noise, Yamux and the
 * connection machinery live in {@code internal.*} packages so they can change without breaking
 * users.
 */
module dev.plasm.transport.libp2p {
  // Transitive: Libp2pException extends dev.plasm.api.PlasmException, so users see that type.
  requires transitive dev.plasm.api;
  requires transitive dev.plasm.transport.spi;
  // Keys and peer ids are dev.plasm.identity's (PeerId, PeerPublicKey, NodeIdentity as the host's
  // key pair): Host, Multiaddr and Connection show them, and this module has no key API of its own.
  requires transitive dev.plasm.identity;
  // QUIC: Netty's quiche codec (TLS 1.3 in BoringSSL, over JNI) and its channel API.
  requires io.netty.codec.classes.quic;
  requires io.netty.transport;
  requires io.netty.buffer;
  requires io.netty.common;
  requires io.netty.handler;
  // The libp2p TLS certificate is built and read with Bouncy Castle's ASN.1 classes: the JDK has
  // no certificate builder, and its X.509 parser refuses the empty names rust-libp2p sends.
  requires org.bouncycastle.provider;

  exports dev.plasm.transport.libp2p;

  provides dev.plasm.transport.spi.TransportProvider with
      dev.plasm.transport.libp2p.Libp2pTransportProvider;
}
