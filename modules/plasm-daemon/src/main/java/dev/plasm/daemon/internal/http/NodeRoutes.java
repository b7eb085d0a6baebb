package dev.plasm.daemon.internal.http;

import dev.plasm.api.Limit;
import dev.plasm.daemon.DaemonConfig;
import dev.plasm.daemon.internal.exec.JobRunner;
import dev.plasm.daemon.internal.exec.Metrics;
import dev.plasm.daemon.internal.store.Json;
import dev.plasm.engine.spi.EngineDescriptor;
import dev.plasm.host.EngineInfo;
import dev.plasm.host.EngineRegistry;
import dev.plasm.identity.NodeIdentity;
import dev.plasm.job.JobJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code /healthz}, {@code /metrics} and {@code /v1/node}: what the node is and how it is doing. */
final class NodeRoutes {
  private final DaemonConfig config;
  private final JobRunner runner;
  private final Metrics metrics;
  private final EngineRegistry registry;
  private final NodeIdentity identity;
  private final String version;
  private final P2pRoutes p2p;

  NodeRoutes(
      DaemonConfig config,
      JobRunner runner,
      Metrics metrics,
      EngineRegistry registry,
      NodeIdentity identity,
      String version,
      P2pRoutes p2p) {
    this.config = config;
    this.runner = runner;
    this.metrics = metrics;
    this.registry = registry;
    this.identity = identity;
    this.version = version;
    this.p2p = p2p;
  }

  static void healthz(Exchange ex) throws IOException {
    ex.allow("GET", "HEAD");
    ex.json(200, Json.MAPPER.createObjectNode().put("status", "ok"));
  }

  void metrics(Exchange ex) throws IOException {
    ex.allow("GET");
    ex.bytes(
        200,
        "text/plain; version=0.0.4; charset=utf-8",
        metrics.render().getBytes(StandardCharsets.UTF_8));
  }

  void node(Exchange ex) throws IOException {
    ex.allow("GET");
    ObjectNode n = Json.MAPPER.createObjectNode();
    n.put("version", version);
    n.put("peerId", identity.peerId().toString());
    n.put("publicKey", identity.publicKeyBase64());
    ArrayNode engines = n.putArray("engines");
    for (EngineInfo e : registry.engines()) {
      EngineDescriptor d = e.descriptor();
      ObjectNode o = engines.addObject();
      o.put("id", d.id());
      o.put("version", d.version());
      o.put("mode", d.mode().toString().toLowerCase(Locale.ROOT).replace('_', '-'));
      ArrayNode lim = o.putArray("enforcedLimits");
      for (Limit l : Limit.values()) {
        if (d.enforces(l)) {
          lim.add(l.id());
        }
      }
    }
    n.set("limits", JobJson.limits(config.limits()));
    ObjectNode q = n.putObject("queue");
    q.put("depth", runner.queueDepth());
    q.put("capacity", config.jobs().queueCapacity());
    q.put("running", runner.running());
    q.put("concurrency", config.jobs().concurrency());
    ObjectNode w = n.putObject("workers");
    w.put("warm", config.workers().warm());
    w.put("alive", runner.workersAlive());
    w.put("maxJobs", config.workers().maxJobs());
    w.put("maxRssBytes", config.effectiveMaxRss());
    w.put("moduleCache", config.workers().moduleCache());
    n.set("p2p", p2p.summary());
    // The process itself, so that an operator (and the soak run) can watch it stay flat.
    Runtime rt = Runtime.getRuntime();
    ObjectNode proc = n.putObject("process");
    proc.put("pid", ProcessHandle.current().pid());
    proc.put("heapMaxBytes", rt.maxMemory());
    proc.put("heapUsedBytes", rt.totalMemory() - rt.freeMemory());
    proc.put("rssBytes", dev.plasm.daemon.internal.worker.Rss.of(ProcessHandle.current().pid()));
    proc.put(
        "threads", dev.plasm.daemon.internal.worker.Rss.threads(ProcessHandle.current().pid()));
    ex.json(200, n);
  }
}
