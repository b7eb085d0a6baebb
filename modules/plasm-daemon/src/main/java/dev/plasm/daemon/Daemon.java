package dev.plasm.daemon;

import dev.plasm.api.ByteSize;
import dev.plasm.api.ConfigurationException;
import dev.plasm.api.JobState;
import dev.plasm.daemon.internal.exec.Intake;
import dev.plasm.daemon.internal.exec.JobRunner;
import dev.plasm.daemon.internal.exec.Metrics;
import dev.plasm.daemon.internal.exec.NodeReceipts;
import dev.plasm.daemon.internal.exec.Retention;
import dev.plasm.daemon.internal.http.ApiServer;
import dev.plasm.daemon.internal.log.Log;
import dev.plasm.daemon.internal.p2p.P2pNode;
import dev.plasm.daemon.internal.remote.RemoteNode;
import dev.plasm.daemon.internal.store.AtomicFiles;
import dev.plasm.daemon.internal.store.JobRecord;
import dev.plasm.daemon.internal.store.JobStore;
import dev.plasm.daemon.internal.store.ModuleStore;
import dev.plasm.host.Admission;
import dev.plasm.host.EngineRegistry;
import dev.plasm.host.Plugins;
import dev.plasm.host.ReceiptSchemes;
import dev.plasm.identity.IdentityException;
import dev.plasm.identity.NodeIdentity;
import java.io.IOException;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CountDownLatch;

/**
 * A running Plasm node: state directory, job store (recovered on start), executors and the HTTP
 * API. {@link #close} is the graceful shutdown (what SIGTERM triggers in {@code plasm daemon}).
 */
public final class Daemon implements AutoCloseable {
  /** The bearer token's file in the state directory. */
  public static final String TOKEN_FILE = "token";

  /** Written at start in the state directory: {@code {"address": "HOST:PORT", "pid": N}}. */
  public static final String ENDPOINT_FILE = "daemon.json";

  private final Log log;
  private final ApiServer api;
  private final JobRunner runner;
  private final JobStore store;
  private final InetSocketAddress address;
  private final Path stateDir;
  private final CountDownLatch closed = new CountDownLatch(1);
  private volatile boolean closing;
  private volatile P2pNode p2p;
  private volatile RemoteNode remote;
  private volatile Retention retention;

  private Daemon(
      Log log,
      ApiServer api,
      JobRunner runner,
      JobStore store,
      InetSocketAddress address,
      Path stateDir) {
    this.log = log;
    this.api = api;
    this.runner = runner;
    this.store = store;
    this.address = address;
    this.stateDir = stateDir;
  }

  /**
   * Starts a node.
   *
   * @param env the environment ({@code PLASM_HOME})
   * @param version Plasm's version, for {@code /v1/node}
   * @param logStream where log lines go
   * @throws ConfigurationException for bad settings or an unusable state directory
   */
  public static Daemon start(
      DaemonConfig config, Map<String, String> env, String version, PrintStream logStream)
      throws IOException {
    Log log = new Log(logStream, config.logFormat());
    Path stateDir = config.resolveStateDir(env).toAbsolutePath();
    AtomicFiles.privateDir(stateDir);
    String token = loadOrCreateToken(stateDir.resolve(TOKEN_FILE), log);
    NodeIdentity identity;
    try {
      identity = NodeIdentity.loadOrCreate(stateDir);
    } catch (IdentityException e) {
      // A key others can read, or a damaged one, is the operator's to fix (the message says how).
      throw new ConfigurationException("identity", e.getMessage());
    }
    List<Path> pluginDirs = Plugins.directories(config.pluginDirs(), stateDir);
    // Each plugin directory layered once, for engines, receipt schemes and the transport alike.
    Plugins plugins = Plugins.load(pluginDirs);
    for (var p : plugins.layerProblems()) {
      log.warn("plugin not loaded", "source", p.source(), "problem", p.message());
    }
    EngineRegistry registry = plugins.engines();
    for (var p : registry.problems()) {
      log.warn("engine not loaded", "source", p.source(), "problem", p.message());
    }
    if (registry.engines().isEmpty()) {
      throw new ConfigurationException(
          "engines.plugin-dirs",
          "no engines found (searched the boot layer and " + pluginDirs + ")");
    }
    NodeReceipts receipts =
        new NodeReceipts(
            identity, plugins.receiptSchemes().require(ReceiptSchemes.DEFAULT), registry);
    JobStore store =
        JobStore.open(
            stateDir,
            (r, s) -> JobRunner.recoverInterrupted(receipts, r, s),
            (r, what) -> log.warn("recovered job", "job", r.id(), "now", what));
    ModuleStore modules = new ModuleStore(stateDir);
    Metrics metrics = new Metrics();
    metrics.journal(store::journalSyncs, store::journalEntries);
    JobRunner runner = new JobRunner(store, modules, config, stateDir, log, metrics, receipts);

    // The peer-to-peer node, when [p2p] enabled = true: its peer id is the node identity's.
    P2pNode p2p =
        config.p2p().enabled()
            ? P2pNode.start(config.p2p(), plugins, identity, version, log)
            : null;
    Intake intake =
        new Intake(
            store,
            runner,
            metrics,
            new Admission(registry, Admission.Policy.node(config.limits())),
            log,
            config.jobs().queueCapacity());
    ApiServer api =
        new ApiServer(
            config, store, modules, runner, metrics, registry, identity, intake, token, log,
            version);
    RemoteNode remote =
        p2p == null
            ? null
            : RemoteNode.start(
                config,
                p2p.transport(),
                identity,
                registry,
                plugins.receiptSchemes(),
                store,
                modules,
                runner,
                intake,
                metrics,
                stateDir,
                log);
    api.p2p(p2p, remote);
    InetSocketAddress bound;
    try {
      bound = api.start();
    } catch (java.net.BindException e) {
      if (p2p != null) {
        p2p.close();
      }
      throw new ConfigurationException(
          "api.listen",
          "api.listen: cannot listen on "
              + config.api().listenHost()
              + ":"
              + config.api().listenPort()
              + ": "
              + e.getMessage());
    }
    runner.start();
    Retention retention = new Retention(store, config.jobs(), log, metrics).start();
    if (remote != null) {
      remote.resume();
    } else {
      interruptDispatched(store, log);
    }
    Daemon d = new Daemon(log, api, runner, store, bound, stateDir);
    d.retention = retention;
    d.p2p = p2p;
    d.remote = remote;
    // Where clients on this machine find the daemon (plasm submit reads it with the token).
    AtomicFiles.write(
        stateDir.resolve(ENDPOINT_FILE),
        ("{\"address\": \""
                + hostPort(bound)
                + "\", \"pid\": "
                + ProcessHandle.current().pid()
                + "}\n")
            .getBytes(StandardCharsets.UTF_8));
    boolean loopback = bound.getAddress().isLoopbackAddress();
    log.info(
        "plasm daemon listening",
        "address",
        hostPort(bound),
        "version",
        version,
        "peerId",
        identity.peerId(),
        "stateDir",
        stateDir,
        "config",
        config.source() == null ? "built-in defaults" : config.source(),
        "concurrency",
        config.jobs().concurrency(),
        "queueCapacity",
        config.jobs().queueCapacity(),
        "engines",
        String.join(",", registry.engines().stream().map(e -> e.descriptor().id()).toList()));
    long maxHeap = Runtime.getRuntime().maxMemory();
    if (maxHeap > config.heap() + config.heap() / 8) {
      log.warn(
          "this JVM's heap is larger than daemon.heap: start the daemon with 'plasm daemon' (which sizes it) or give "
              + "-Xmx"
              + (config.heap() >> 20)
              + "m",
          "heapMax",
          ByteSize.format(maxHeap),
          "daemon.heap",
          ByteSize.format(config.heap()));
    }
    if (loopback) {
      log.info(
          "every request except /healthz needs the bearer token",
          "tokenFile",
          stateDir.resolve(TOKEN_FILE));
    } else {
      log.warn(
          "listening on a non-loopback address: every request except /healthz needs the bearer token; "
              + "use TLS in front of it on untrusted networks",
          "address",
          hostPort(bound),
          "tokenFile",
          stateDir.resolve(TOKEN_FILE));
    }
    return d;
  }

  /** Jobs out on other nodes when p2p is now off cannot be asked for again: they end interrupted. */
  private static void interruptDispatched(JobStore store, Log log) throws IOException {
    for (JobRecord r : store.unfinished()) {
      if (r.dispatch() != null) {
        String why =
            "the job was out on other nodes when the daemon stopped, and p2p is now off, so it cannot be asked for again";
        store.update(
            r.ended(
                JobState.INTERRUPTED,
                java.time.Instant.now(),
                new dev.plasm.api.ExecutionOutcome.Interrupted(why, dev.plasm.api.Usage.NONE),
                why,
                false));
        log.warn("remote job interrupted", "job", r.id(), "why", why);
      }
    }
  }

  private static String hostPort(InetSocketAddress a) {
    String h = a.getAddress().getHostAddress();
    return (h.contains(":") ? "[" + h + "]" : h) + ":" + a.getPort();
  }

  /** The token file: created (0600, 32 random bytes in base64url) at first start, refused if others can read it. */
  static String loadOrCreateToken(Path file, Log log) throws IOException {
    Set<PosixFilePermission> mode = PosixFilePermissions.fromString("rw-------");
    if (!Files.exists(file)) {
      byte[] raw = new byte[32];
      new SecureRandom().nextBytes(raw);
      String token = Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
      Path tmp = file.resolveSibling("." + file.getFileName() + ".new");
      Files.deleteIfExists(tmp);
      Files.createFile(tmp, PosixFilePermissions.asFileAttribute(mode));
      Files.writeString(tmp, token + "\n", StandardCharsets.US_ASCII);
      try {
        Files.createLink(file, tmp); // fails if another daemon created one meanwhile
        Files.delete(tmp);
        AtomicFiles.syncDir(file.getParent());
        log.info("created the API token", "file", file);
        return token;
      } catch (FileAlreadyExistsException e) {
        Files.deleteIfExists(tmp);
      }
    }
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
    for (PosixFilePermission p : perms) {
      if (p.name().startsWith("GROUP") || p.name().startsWith("OTHERS")) {
        throw new ConfigurationException(
            "token",
            "the API token "
                + file
                + " can be read by others ("
                + PosixFilePermissions.toString(perms)
                + "); run: chmod 600 "
                + file);
      }
    }
    String token = Files.readString(file, StandardCharsets.US_ASCII).strip();
    if (token.length() < 16) {
      throw new ConfigurationException(
          "token",
          "the API token " + file + " is shorter than 16 characters; delete it to make a new one");
    }
    return token;
  }

  /** The address the API listens on (the real port when the config asked for 0). */
  public InetSocketAddress address() {
    return address;
  }

  public Path stateDir() {
    return stateDir;
  }

  /** Blocks until {@link #close} has finished. */
  public void awaitClose() throws InterruptedException {
    closed.await();
  }

  /** Graceful shutdown: stop accepting, kill running workers, record every unfinished job as interrupted. */
  @Override
  public void close() {
    synchronized (this) {
      if (closing) {
        return;
      }
      closing = true;
    }
    log.info("shutting down");
    api.stop();
    if (remote != null) {
      remote.close();
    }
    if (p2p != null) {
      p2p.close();
    }
    try {
      Files.deleteIfExists(stateDir.resolve(ENDPOINT_FILE));
    } catch (IOException e) {
      // Clients will find nothing listening there.
    }
    runner.shutdown();
    if (retention != null) {
      retention.close();
    }
    store.close();
    log.info("stopped");
    closed.countDown();
  }
}
