/**
 * libp2p for Plasm on the plain JDK: peer ids and multiaddrs, TCP with multistream-select, Noise XX
 * and Yamux, the identify and ping protocols, and a Kademlia DHT, interoperable with js-libp2p.
 *
 * <p>Only {@code dev.plasm.transport.libp2p} is exported; the wire codecs, Noise, Yamux and the
 * connection machinery live in {@code internal.*} packages so they can change without breaking
 * users.
 */
module dev.plasm.transport.libp2p {
  // Transitive: Libp2pException extends dev.plasm.api.PlasmException, so users see that type.
  requires transitive dev.plasm.api;

  exports dev.plasm.transport.libp2p;
}
