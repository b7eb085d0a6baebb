/**
 * The service contract for peer-to-peer transports. A transport plugin {@code provides
 * dev.plasm.transport.spi.TransportProvider}; the daemon finds it with ServiceLoader (boot layer and
 * plugin layers, as for engines) and starts one {@link dev.plasm.transport.spi.Transport} node.
 */
module dev.plasm.transport.spi {
  // TransportException extends dev.plasm.api.PlasmException.
  requires transitive dev.plasm.api;

  exports dev.plasm.transport.spi;
}
