package dev.plasm.daemon.internal.remote;

import dev.plasm.api.JobState;
import dev.plasm.daemon.DaemonConfig;
import dev.plasm.daemon.internal.exec.Intake;
import dev.plasm.daemon.internal.exec.JobRunner;
import dev.plasm.daemon.internal.exec.Metrics;
import dev.plasm.daemon.internal.log.Log;
import dev.plasm.daemon.internal.store.JobRecord;
import dev.plasm.daemon.internal.store.JobStore;
import dev.plasm.daemon.internal.store.ModuleStore;
import dev.plasm.host.EngineRegistry;
import dev.plasm.host.ReceiptSchemes;
import dev.plasm.identity.NodeIdentity;
import dev.plasm.job.JobManifest;
import dev.plasm.job.JobManifest.ModuleSource;
import dev.plasm.job.JobManifest.StdinSource;
import dev.plasm.job.Verify;
import dev.plasm.transport.spi.Transport;
import dev.plasm.transport.spi.TransportException;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/**
 * Jobs across peers on this node (docs/remote.md): serves {@code /plasm/job/1.0.0} and {@code
 * /plasm/module/1.0.0}, publishes this node's offer while {@code [remote] enabled}, sends its own
 * remote jobs out ({@link Dispatcher}), and keeps the reputation of the executors it used.
 */
public final class RemoteNode implements AutoCloseable {
  private final DaemonConfig config;
  private final Transport transport;
  private final JobStore store;
  private final ModuleStore modules;
  private final JobRunner runner;
  private final Log log;
  private final Offers offers;
  private final JobService jobs;
  private final Dispatcher dispatcher;
  private final Reputation reputation;
  private final RemoteMetrics metrics = new RemoteMetrics();
  private final Map<String, Long> offeredLimits;
  private volatile Thread publisher;
  private volatile Thread reader;
  private volatile boolean closed;

  private RemoteNode(
      DaemonConfig config,
      Transport transport,
      NodeIdentity identity,
      EngineRegistry registry,
      ReceiptSchemes schemes,
      JobStore store,
      ModuleStore modules,
      JobRunner runner,
      Intake intake,
      Path stateDir,
      Log log) {
    this.config = config;
    this.transport = transport;
    this.store = store;
    this.modules = modules;
    this.runner = runner;
    this.log = log;
    this.offers = new Offers(transport, identity, registry.engines(), log);
    ModuleService moduleService = new ModuleService(modules, log);
    this.jobs =
        new JobService(
            config, transport, store, modules, moduleService, intake, runner, log, metrics);
    this.reputation = new Reputation(stateDir);
    this.dispatcher =
        new Dispatcher(
            config,
            transport,
            offers,
            store,
            reputation,
            metrics,
            runner,
            intake.admission(),
            registry,
            schemes,
            log);
    this.offeredLimits = config.limits().byJsonName();
    runner.remoteCancel(dispatcher::cancel);
    transport.setStreamHandler(JobService.PROTOCOL, jobs::serve);
    transport.setStreamHandler(ModuleService.PROTOCOL, moduleService::serve);
  }

  /** Starts serving the protocols, and offering this node when {@code [remote] enabled}. */
  public static RemoteNode start(
      DaemonConfig config,
      Transport transport,
      NodeIdentity identity,
      EngineRegistry registry,
      ReceiptSchemes schemes,
      JobStore store,
      ModuleStore modules,
      JobRunner runner,
      Intake intake,
      Metrics daemonMetrics,
      Path stateDir,
      Log log) {
    RemoteNode n =
        new RemoteNode(
            config, transport, identity, registry, schemes, store, modules, runner, intake,
            stateDir, log);
    daemonMetrics.extra(n.metrics::render);
    if (config.remote().enabled()) {
      n.publisher = Thread.ofVirtual().name("plasm-remote-offers").start(n::publishLoop);
    }
    n.reader = Thread.ofVirtual().name("plasm-remote-peer-offers").start(n::readLoop);
    return n;
  }

  private void publishLoop() {
    while (!closed) {
      offers.publish(offeredLimits, capacity(), config.remote().offerTtl());
      try {
        Thread.sleep(config.remote().offerInterval());
      } catch (InterruptedException e) {
        return;
      }
    }
  }

  /** Reads the offers of the connected peers now and then, for {@code /v1/peers}. */
  private void readLoop() {
    while (!closed) {
      try {
        Thread.sleep(config.remote().offerInterval());
        for (var p : transport.peers()) {
          offers.read(p.peerId(), Instant::now);
        }
      } catch (InterruptedException e) {
        return;
      } catch (TransportException e) {
        // Closing, or the network is away: try again next time.
      }
    }
  }

  /** How busy this node is now, as its offer says. */
  NodeRecord.Capacity capacity() {
    int queued = runner.queueDepth();
    int queueFree = config.jobs().queueCapacity() - queued;
    int remoteFree =
        Math.max(0, Math.min(config.remote().maxConcurrent() - jobs.active(), queueFree));
    return new NodeRecord.Capacity(
        config.jobs().concurrency(),
        runner.running(),
        queued,
        config.jobs().queueCapacity(),
        remoteFree);
  }

  /** What {@code GET /v1/node} and {@code /v1/peers} say about jobs across peers. */
  public Map<String, Object> summary() {
    NodeRecord.Capacity c = capacity();
    return Map.of(
        "enabled", config.remote().enabled(), "running", jobs.active(), "free", c.remoteFree());
  }

  /** The reputation of every executor this node has used: successes, failures, timeouts, lies, score. */
  public Map<String, Reputation.Entry> reputation() {
    return reputation.all();
  }

  /**
   * What {@code peerId}'s last signed offer that this node read said (and has not expired): its
   * capacity and engines. Offers are read when jobs are placed, and every offer interval for the
   * connected peers.
   */
  public Optional<Map<String, Object>> knownOffer(String peerId) {
    NodeRecord r = offers.known(peerId);
    if (r == null || !r.expiresAt().isAfter(Instant.now())) {
      return Optional.empty();
    }
    return Optional.of(
        Map.of(
            "executors",
            r.capacity().executors(),
            "running",
            r.capacity().running(),
            "queued",
            r.capacity().queued(),
            "remoteFree",
            r.capacity().remoteFree(),
            "engines",
            r.engines().stream().map(NodeRecord.EngineOffer::id).toList(),
            "expiresAt",
            r.expiresAt().toString()));
  }

  /** Announces a module this node holds, so executors can fetch it from here (in the background). */
  public void announceModule(String sha256) {
    Thread.ofVirtual()
        .start(
            () -> {
              try {
                transport.provide(Offers.moduleKey(sha256));
              } catch (TransportException e) {
                // Executors fetch from the requester first; a provider record is a second source.
              }
            });
  }

  /** Why this node cannot send a job out now (too many of its jobs are out), or null when it can. */
  public boolean reserve() {
    return dispatcher.reserve();
  }

  public void unreserve() {
    dispatcher.unreserve();
  }

  /** Sends out a job accepted for other nodes (its record queued and durable; a place reserved). */
  public void dispatch(JobRecord r, JobManifest m) {
    dispatcher.start(r, m);
  }

  /**
   * After a restart: asks the executors of every job that was out for it again, by its id, and
   * ends those that were never sent.
   */
  public void resume() {
    for (JobRecord r : store.unfinished()) {
      if (r.dispatch() == null) {
        continue;
      }
      if (r.state() == JobState.RUNNING) {
        log.info(
            "reattaching a remote job after the restart",
            "job",
            r.id(),
            "attempts",
            r.dispatch().attempts().size());
        dispatcher.resume(r, manifestOf(r));
      }
    }
  }

  /** The manifest of a dispatched job, rebuilt from its record and stored stdin. */
  JobManifest manifestOf(JobRecord r) {
    byte[] stdin;
    try {
      stdin = store.read(r.id(), JobStore.Part.STDIN);
    } catch (IOException e) {
      stdin = new byte[0];
    }
    JobRecord.Dispatch d = r.dispatch();
    return new JobManifest(
        new ModuleSource.ByHash(r.plan().moduleSha256()),
        r.plan().programName(),
        r.plan().args(),
        r.plan().env(),
        stdin.length == 0 ? new StdinSource.None() : new StdinSource.Inline(stdin),
        r.plan().limits().values(),
        r.plan().engine().id(),
        r.plan().deterministic(),
        r.plan().nonce(),
        d.placement(),
        d.redundancy(),
        d.verify(),
        null);
  }

  public boolean verifyNeedsDeterminism(JobManifest m) {
    return m.verify() == Verify.REEXECUTE && !m.deterministic();
  }

  @Override
  public void close() {
    closed = true;
    dispatcher.close();
    Thread rd = reader;
    if (rd != null) {
      rd.interrupt();
    }
    Thread p = publisher;
    if (p != null) {
      p.interrupt();
      offers.withdraw(offeredLimits);
    }
    reputation.flush();
    try {
      transport.removeStreamHandler(JobService.PROTOCOL);
      transport.removeStreamHandler(ModuleService.PROTOCOL);
    } catch (TransportException e) {
      // The transport is closing too.
    }
  }

  ModuleStore modules() {
    return modules;
  }
}
