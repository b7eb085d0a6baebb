package dev.plasm.daemon.internal.p2p;

import dev.plasm.api.ConfigurationException;
import dev.plasm.daemon.P2pConfig;
import dev.plasm.daemon.internal.log.Log;
import dev.plasm.host.PluginProblem;
import dev.plasm.host.TransportRegistry;
import dev.plasm.identity.NodeIdentity;
import dev.plasm.transport.spi.InvalidInputException;
import dev.plasm.transport.spi.Transport;
import dev.plasm.transport.spi.TransportException;
import dev.plasm.transport.spi.TransportSettings;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;

/**
 * The daemon's peer-to-peer node: the configured transport, started with the node identity (so the
 * network peer id is the one {@code GET /v1/node} shows), bootstrapped in the background until it
 * has found a peer, and closed with the daemon.
 */
public final class P2pNode implements AutoCloseable {
  private final P2pConfig config;
  private final Transport transport;
  private final Log log;
  private final Thread bootstrapper;
  private final TransportLogBridge logBridge;
  private volatile boolean closed;

  private P2pNode(P2pConfig config, Transport transport, Log log, TransportLogBridge logBridge) {
    this.config = config;
    this.logBridge = logBridge;
    this.transport = transport;
    this.log = log;
    this.bootstrapper = config.bootstrap().isEmpty() ? null : Thread.ofVirtual().name("plasm-p2p-bootstrap").start(this::bootstrapLoop);
  }

  /**
   * Finds the configured transport (boot layer, then plugin directories) and starts it.
   *
   * @throws ConfigurationException naming the {@code p2p.*} key at fault: no such transport, a bad
   *     address, a port in use
   */
  public static P2pNode start(P2pConfig config, List<Path> pluginDirs, NodeIdentity identity, String version, Log log) {
    TransportRegistry registry = TransportRegistry.discover(pluginDirs);
    for (PluginProblem p : registry.problems()) {
      log.warn("transport plugin not loaded", "source", p.source(), "problem", p.message());
    }
    TransportRegistry.Entry entry = registry.find(config.transport()).orElseThrow(() -> new ConfigurationException(
        "p2p.transport", "p2p.transport: no transport '" + config.transport() + "' is installed (found: "
            + (registry.transports().isEmpty() ? "none" : String.join(", ",
                registry.transports().stream().map(e -> e.descriptor().id()).toList()))
            + "; searched the boot layer and " + pluginDirs + ")"));
    TransportLogBridge bridge = TransportLogBridge.install(log);
    TransportSettings settings = new TransportSettings(config.listen(), config.bootstrap(), identity.privateKeySeed(),
        "plasm/" + version, config.limits());
    Transport t;
    try {
      t = entry.provider().start(settings);
    } catch (InvalidInputException e) {
      bridge.close();
      throw new ConfigurationException("p2p." + e.field(), "p2p." + e.field() + ": " + stripField(e));
    } catch (TransportException e) {
      bridge.close();
      throw new ConfigurationException("p2p.listen", "p2p.listen: " + e.getMessage());
    }
    if (!t.peerId().equals(identity.peerId().toString())) {
      t.close();
      bridge.close();
      throw new IllegalStateException("transport '" + config.transport() + "' started with peer id " + t.peerId()
          + " instead of the node's " + identity.peerId());
    }
    log.info("p2p node listening", "transport", entry.descriptor().id() + " " + entry.descriptor().version(),
        "peerId", t.peerId(), "addresses", String.join(",", t.listenAddresses()),
        "bootstrapPeers", config.bootstrap().size());
    return new P2pNode(config, t, log, bridge);
  }

  private static String stripField(InvalidInputException e) {
    String m = e.getMessage();
    return m.startsWith(e.field() + ": ") ? m.substring(e.field().length() + 2) : m;
  }

  /** Bootstraps until the routing table has a peer, backing off from 1 s to 60 s between tries. */
  private void bootstrapLoop() {
    Duration wait = Duration.ofSeconds(1);
    for (int attempt = 1; !closed; attempt++) {
      try {
        int n = transport.bootstrap();
        if (n > 0) {
          log.info("p2p bootstrap done", "routingTable", n, "attempt", attempt);
          return;
        }
        log.warn("p2p bootstrap reached no peer; retrying", "attempt", attempt, "retryIn", wait.toSeconds() + "s");
      } catch (RuntimeException e) {
        if (closed) {
          return;
        }
        log.warn("p2p bootstrap failed; retrying", "attempt", attempt, "error", e.getMessage(), "retryIn", wait.toSeconds() + "s");
      }
      try {
        Thread.sleep(wait);
      } catch (InterruptedException e) {
        return;
      }
      wait = wait.multipliedBy(2).compareTo(Duration.ofSeconds(60)) > 0 ? Duration.ofSeconds(60) : wait.multipliedBy(2);
    }
  }

  public P2pConfig config() {
    return config;
  }

  public Transport transport() {
    return transport;
  }

  @Override
  public void close() {
    closed = true;
    if (bootstrapper != null) {
      bootstrapper.interrupt();
    }
    transport.close();
    log.info("p2p node stopped");
    logBridge.close();
  }
}
