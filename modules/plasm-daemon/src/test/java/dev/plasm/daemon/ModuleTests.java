package dev.plasm.daemon;

import dev.plasm.fixtures.ModuleRules;
import org.junit.jupiter.api.Test;

/** The module's allowed shape: the node (HTTP API, job store, workers, p2p) on the host; only dev.plasm.daemon is API. */
class ModuleTests {

  @Test
  void hasItsDeclaredShape() {
    ModuleRules.of(Daemon.class)
        // Plugins, admission, the sandbox and receipts; DaemonConfig shows host types.
        .requiresTransitive("dev.plasm.host")
        // Manifests, plans and outcomes on the wire and in the job store.
        .requires("dev.plasm.job")
        // [p2p]: the daemon starts the configured transport and serves peers and the DHT.
        .requires("dev.plasm.transport.spi")
        // Transports log through System.Logger (JUL); TransportLogBridge routes it into the
        // daemon's log.
        .requires("java.logging")
        // The HTTP API's JSON bodies and the job records on disk.
        .requires("tools.jackson.databind")
        // The strict TOML configuration file (docs/config.md).
        .requires("tools.jackson.dataformat.toml")
        .exports("dev.plasm.daemon")
        // Jackson binds the worker's reply line reflectively.
        .opensTo("dev.plasm.daemon.internal.worker", "tools.jackson.databind")
        .verify();
  }
}
