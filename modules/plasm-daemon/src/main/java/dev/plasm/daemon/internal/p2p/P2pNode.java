package dev.plasm.daemon.internal.p2p;

import dev.plasm.api.ConfigurationException;
import dev.plasm.daemon.P2pConfig;
import dev.plasm.daemon.internal.log.Log;
import dev.plasm.host.PluginProblem;
import dev.plasm.host.Plugins;
import dev.plasm.host.TransportRegistry;
import dev.plasm.identity.NodeIdentity;
import dev.plasm.transport.spi.InvalidInputException;
import dev.plasm.transport.spi.Transport;
import dev.plasm.transport.spi.TransportException;
import dev.plasm.transport.spi.TransportSettings;
import java.time.Duration;

/**
 * The daemon's peer-to-peer node: the configured transport, started with the node identity (so the
 * network peer id is the one {@code GET /v1/node} shows), bootstrapped in the background until it
 * has found a peer, bootstrapped again whenever it has lost every peer, and closed with the daemon.
 */
public final class P2pNode implements AutoCloseable {
  private final P2pConfig config;
  private final Transport transport;
  private final Log log;

  /** How often a bootstrapped node checks that it still has a peer. */
  public static final Duration WATCH_INTERVAL = Duration.ofSeconds(30);

  private final Thread bootstrapper;
  private final TransportLogBridge logBridge;
  private final Duration watchInterval;
  private volatile boolean closed;

  private P2pNode(
      P2pConfig config,
      Transport transport,
      Log log,
      TransportLogBridge logBridge,
      Duration watchInterval) {
    this.config = config;
    this.logBridge = logBridge;
    this.transport = transport;
    this.log = log;
    this.watchInterval = watchInterval;
    this.bootstrapper =
        config.bootstrap().isEmpty()
            ? null
            : Thread.ofVirtual().name("plasm-p2p-bootstrap").start(this::bootstrapLoop);
  }

  /**
   * Finds the configured transport (boot layer, then plugin directories) and starts it.
   *
   * @throws ConfigurationException naming the {@code p2p.*} key at fault: no such transport, a bad
   *     address, a port in use
   */
  public static P2pNode start(
      P2pConfig config, Plugins plugins, NodeIdentity identity, String version, Log log) {
    return start(config, plugins, identity, version, log, WATCH_INTERVAL);
  }

  /** As {@link #start(P2pConfig, Plugins, NodeIdentity, String, Log)}, checking for lost peers every {@code watchInterval}. */
  public static P2pNode start(
      P2pConfig config,
      Plugins plugins,
      NodeIdentity identity,
      String version,
      Log log,
      Duration watchInterval) {
    TransportRegistry registry = plugins.transports();
    for (PluginProblem p : registry.problems()) {
      log.warn("transport plugin not loaded", "source", p.source(), "problem", p.message());
    }
    TransportRegistry.Entry entry =
        registry
            .find(config.transport())
            .orElseThrow(
                () ->
                    new ConfigurationException(
                        "p2p.transport",
                        "p2p.transport: no transport '"
                            + config.transport()
                            + "' is installed (found: "
                            + (registry.transports().isEmpty()
                                ? "none"
                                : String.join(
                                    ", ",
                                    registry.transports().stream()
                                        .map(e -> e.descriptor().id())
                                        .toList()))
                            + "; searched the boot layer and the plugin directories)"));
    TransportLogBridge bridge = TransportLogBridge.install(log);
    TransportSettings settings =
        new TransportSettings(
            config.listen(),
            config.bootstrap(),
            identity.privateKeySeed(),
            "plasm/" + version,
            config.limits(),
            config.reach());
    Transport t;
    try {
      t = entry.provider().start(settings);
    } catch (InvalidInputException e) {
      bridge.close();
      throw new ConfigurationException(
          "p2p." + e.field(), "p2p." + e.field() + ": " + stripField(e));
    } catch (TransportException e) {
      bridge.close();
      throw new ConfigurationException("p2p.listen", "p2p.listen: " + e.getMessage());
    }
    log.info(
        "p2p node listening",
        "transport",
        entry.descriptor().id() + " " + entry.descriptor().version(),
        "peerId",
        t.peerId(),
        "addresses",
        String.join(",", t.listenAddresses()),
        "bootstrapPeers",
        config.bootstrap().size());
    return new P2pNode(config, t, log, bridge, watchInterval);
  }

  private static String stripField(InvalidInputException e) {
    String m = e.getMessage();
    return m.startsWith(e.field() + ": ") ? m.substring(e.field().length() + 2) : m;
  }

  /**
   * Bootstraps until the routing table has a peer, backing off from 1 s to 60 s between tries; then
   * checks every {@link #watchInterval} that the node still has a connected peer, and bootstraps
   * again when it has none (its seeds restarted, or the network went away and came back), since
   * the DHT's own refresh has nobody left to ask.
   */
  private void bootstrapLoop() {
    Duration wait = Duration.ofSeconds(1);
    boolean joined = false;
    int attempt = 0;
    while (!closed) {
      if (joined && transport.peers().isEmpty()) {
        joined = false;
        attempt = 0;
        wait = Duration.ofSeconds(1);
        log.warn("p2p node has lost every peer; bootstrapping again");
      }
      if (!joined) {
        attempt++;
        try {
          int n = transport.bootstrap();
          if (n > 0 && !transport.peers().isEmpty()) {
            log.info("p2p bootstrap done", "routingTable", n, "attempt", attempt);
            joined = true;
          } else {
            log.warn(
                "p2p bootstrap reached no peer; retrying",
                "attempt",
                attempt,
                "retryIn",
                wait.toSeconds() + "s");
          }
        } catch (RuntimeException e) {
          if (closed) {
            return;
          }
          log.warn(
              "p2p bootstrap failed; retrying",
              "attempt",
              attempt,
              "error",
              e.getMessage(),
              "retryIn",
              wait.toSeconds() + "s");
        }
      }
      try {
        Thread.sleep(joined ? watchInterval : wait);
      } catch (InterruptedException e) {
        return;
      }
      if (!joined) {
        wait =
            wait.multipliedBy(2).compareTo(Duration.ofSeconds(60)) > 0
                ? Duration.ofSeconds(60)
                : wait.multipliedBy(2);
      }
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
