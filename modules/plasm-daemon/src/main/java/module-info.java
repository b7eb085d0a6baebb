/**
 * The Plasm daemon: a node that accepts jobs over an HTTP API (docs/http-api.md), keeps their
 * records, outputs and receipts on disk, and runs each job in a worker process it can kill.
 * Configuration is a strict TOML file (docs/config.md). Only {@code dev.plasm.daemon} is API; the
 * {@code internal} packages are not exported.
 */
module dev.plasm.daemon {
  requires transitive dev.plasm.host;
  // [p2p]: the transport contract (found through dev.plasm.host.TransportRegistry).
  requires dev.plasm.transport.spi;
  // Transports log through System.Logger (JUL by default); P2pNode routes those lines into the daemon's log.
  requires java.logging;
  requires tools.jackson.databind;
  requires tools.jackson.dataformat.toml;
  // The HTTP server: the JDK's own, on virtual threads (see ApiServer for why).
  requires jdk.httpserver;

  exports dev.plasm.daemon;

  // Jackson binds the on-disk and wire records reflectively.
  opens dev.plasm.daemon.internal.store to tools.jackson.databind;
  opens dev.plasm.daemon.internal.http to tools.jackson.databind;
  opens dev.plasm.daemon.internal.worker to tools.jackson.databind;
}
