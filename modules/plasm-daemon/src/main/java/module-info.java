/**
 * The Plasm daemon: a node that accepts jobs over an HTTP API (docs/http-api.md), keeps their
 * records, outputs and receipts on disk, and runs each job in a worker process it can kill.
 * Configuration is a strict TOML file (docs/config.md). Only {@code dev.plasm.daemon} is API; the
 * {@code internal} packages are not exported.
 */
module dev.plasm.daemon {
  requires transitive dev.plasm.host;
  // Manifests, plans and outcomes on the wire and on disk.
  requires dev.plasm.job;
  // [p2p]: the transport contract (found through dev.plasm.host.TransportRegistry).
  requires dev.plasm.transport.spi;
  // Transports log through System.Logger (JUL by default); P2pNode routes those lines into the
  // daemon's log.
  requires java.logging;
  requires tools.jackson.databind;
  requires tools.jackson.dataformat.toml;

  exports dev.plasm.daemon;

  // Jackson binds the worker's reply line reflectively (everything else is written by hand).
  opens dev.plasm.daemon.internal.worker to
      tools.jackson.databind;
}
