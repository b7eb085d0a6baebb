package dev.plasm.daemon;

import dev.plasm.api.ConfigurationException;
import dev.plasm.api.ResourceLimits;
import dev.plasm.daemon.internal.config.ConfigReader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The daemon's settings, one record per table of its strict TOML file (docs/config.md). Every key
 * is documented; an unknown key or a bad value is an error that names the key ({@link #read}).
 *
 * @param source the file the settings came from, or null for the built-in defaults
 * @param stateDir the state directory, or null for {@code $PLASM_HOME} (default {@code ~/.plasm})
 * @param api {@code [api]}: the HTTP API
 * @param logFormat {@code [log] format}: {@code text} or {@code json}
 * @param heap {@code [daemon] heap}: the most Java heap the daemon process may use, in bytes (its
 *     workers are sized from {@code limits.memory}); {@code plasm daemon} starts its JVM with it
 * @param jobs {@code [jobs]}: executors and queue
 * @param limits {@code [limits]}: a job gets these unless it asks for less, and cannot ask for more
 * @param workers {@code [workers]}: how worker processes are run, kept and replaced
 * @param pluginDirs {@code [engines] plugin-dirs}, or empty for the defaults
 * @param p2p {@code [p2p]}: the peer-to-peer node (off by default)
 * @param remote {@code [remote]}: jobs across peers (running others' jobs is off by default)
 */
public record DaemonConfig(
    Path source,
    Path stateDir,
    Api api,
    String logFormat,
    long heap,
    Jobs jobs,
    ResourceLimits limits,
    Workers workers,
    List<Path> pluginDirs,
    P2pConfig p2p,
    RemoteConfig remote) {

  /**
   * The HTTP API ({@code [api]}).
   *
   * @param listenHost the address the API binds to
   * @param listenPort its port (0 picks a free one)
   * @param maxJsonBody largest JSON request body, in bytes
   * @param requestTimeout time a client has to send a request (line, headers, body)
   * @param maxWait the longest long-poll ({@code ?wait=}, {@code ?timeout=}) accepted
   * @param maxConnections connections open at once; more are answered 503
   */
  public record Api(
      String listenHost,
      int listenPort,
      long maxJsonBody,
      Duration requestTimeout,
      Duration maxWait,
      int maxConnections) {
    public static final Api DEFAULTS =
        new Api("127.0.0.1", 8080, 8L << 20, Duration.ofSeconds(30), Duration.ofMinutes(5), 256);

    public Api {
      Objects.requireNonNull(listenHost, "listenHost");
      Objects.requireNonNull(requestTimeout, "requestTimeout");
      Objects.requireNonNull(maxWait, "maxWait");
    }

    /**
     * The longest an exchange may take, from a request's first byte to its response's last: the
     * time to send the request, the longest long-poll, and the time again to read the answer.
     */
    public Duration exchangeTimeout() {
      return requestTimeout.plus(maxWait).plus(requestTimeout);
    }

    public Api withListen(String host, int port) {
      return new Api(host, port, maxJsonBody, requestTimeout, maxWait, maxConnections);
    }
  }

  /**
   * Executors and queue ({@code [jobs]}).
   *
   * @param concurrency jobs run at the same time (one worker process each)
   * @param queueCapacity accepted jobs waiting to run before submissions get 429
   * @param retention how long an ended job (its record, output and receipt) is kept after it ended
   * @param maxRetained most ended jobs kept; the oldest beyond it are forgotten first
   */
  public record Jobs(int concurrency, int queueCapacity, Duration retention, int maxRetained) {
    public static final Jobs DEFAULTS = new Jobs(2, 64, Duration.ofHours(24), 10_000);

    public Jobs {
      Objects.requireNonNull(retention, "retention");
      if (retention.isNegative() || retention.isZero() || maxRetained < 1) {
        throw new IllegalArgumentException("retention and maxRetained must be positive");
      }
    }
  }

  /**
   * The worker processes ({@code [workers]}).
   *
   * @param killGrace how long after a job's deadline its worker is killed
   * @param javaOptions extra JVM options for worker processes
   * @param warm keep one worker JVM per executor running between jobs (false: a fresh JVM per job)
   * @param maxJobs jobs a warm worker runs before it is replaced by a fresh one
   * @param maxRss resident memory at which a worker is killed and its job fails with the memory
   *     limit, in bytes; 0 derives it from the node's memory limit
   * @param moduleCache compiled modules each worker keeps (0: compile every job)
   * @param shutdownGrace how long a graceful stop lets running jobs finish before killing them
   */
  public record Workers(
      Duration killGrace,
      List<String> javaOptions,
      boolean warm,
      int maxJobs,
      long maxRss,
      int moduleCache,
      Duration shutdownGrace) {
    /**
     * Replacing a worker brings a cold JVM: its first thousands of small jobs cost twice the CPU of
     * a warm worker's (docs/performance.md, "A worker's life"). At 10,000 jobs a busy node replaced
     * each worker every 25 s and spent much of its time cold; at 100,000 a worker lasts minutes at
     * full load, while max-rss still ends one that grows.
     */
    public static final Workers DEFAULTS =
        new Workers(
            Duration.ofSeconds(10), List.of(), true, 100_000, 0, 64, Duration.ofSeconds(10));

    public Workers {
      Objects.requireNonNull(killGrace, "killGrace");
      javaOptions = List.copyOf(javaOptions);
      if (maxJobs < 1) {
        throw new IllegalArgumentException("maxJobs must be >= 1");
      }
      if (maxRss < 0 || moduleCache < 0) {
        throw new IllegalArgumentException("maxRss and moduleCache must be >= 0");
      }
      Objects.requireNonNull(shutdownGrace, "shutdownGrace");
    }
  }

  /** The daemon's heap unless {@code [daemon] heap} says otherwise. */
  public static final long DEFAULT_HEAP = 512L << 20;

  /** Read when {@code --config} is not given and the file exists. */
  public static final Path DEFAULT_FILE = Path.of("/etc/plasm/plasmd.toml");

  /** The built-in defaults (docs/config.md). */
  public static final DaemonConfig DEFAULTS =
      new DaemonConfig(
          null,
          null,
          Api.DEFAULTS,
          "text",
          DEFAULT_HEAP,
          Jobs.DEFAULTS,
          ResourceLimits.DEFAULTS,
          Workers.DEFAULTS,
          List.of(),
          P2pConfig.DEFAULTS,
          RemoteConfig.DEFAULTS);

  public DaemonConfig {
    Objects.requireNonNull(api, "api");
    if (heap < (64L << 20)) {
      throw new IllegalArgumentException("heap must be at least 64 MiB");
    }
    Objects.requireNonNull(logFormat, "logFormat");
    Objects.requireNonNull(jobs, "jobs");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(workers, "workers");
    pluginDirs = List.copyOf(pluginDirs);
    Objects.requireNonNull(p2p, "p2p");
    Objects.requireNonNull(remote, "remote");
  }

  public DaemonConfig withApi(Api a) {
    return new DaemonConfig(
        source, stateDir, a, logFormat, heap, jobs, limits, workers, pluginDirs, p2p, remote);
  }

  public DaemonConfig withStateDir(Path dir) {
    return new DaemonConfig(
        source, dir, api, logFormat, heap, jobs, limits, workers, pluginDirs, p2p, remote);
  }

  public DaemonConfig withLogFormat(String format) {
    if (!format.equals("text") && !format.equals("json")) {
      throw new ConfigurationException(
          "log.format", "log.format: '" + format + "' must be text or json");
    }
    return new DaemonConfig(
        source, stateDir, api, format, heap, jobs, limits, workers, pluginDirs, p2p, remote);
  }

  public DaemonConfig withPluginDirs(List<Path> dirs) {
    return new DaemonConfig(
        source, stateDir, api, logFormat, heap, jobs, limits, workers, dirs, p2p, remote);
  }

  /** The same settings with running other peers' jobs switched on or off ({@code plasm daemon --remote}). */
  public DaemonConfig withRemoteEnabled(boolean on) {
    return new DaemonConfig(
        source,
        stateDir,
        api,
        logFormat,
        heap,
        jobs,
        limits,
        workers,
        pluginDirs,
        p2p,
        remote.withEnabled(on));
  }

  /** The same settings with p2p switched on or off ({@code plasm daemon --p2p}). */
  public DaemonConfig withP2pEnabled(boolean on) {
    return new DaemonConfig(
        source,
        stateDir,
        api,
        logFormat,
        heap,
        jobs,
        limits,
        workers,
        pluginDirs,
        p2p.withEnabled(on),
        remote);
  }

  /**
   * Applies command-line overrides (each may be null): {@code --listen HOST:PORT}, {@code
   * --state-dir}, {@code --log-format}. Errors name the flag.
   */
  public DaemonConfig withOverrides(String listen, Path dir, String format) {
    DaemonConfig c = this;
    if (listen != null) {
      ConfigReader.HostPort hp = ConfigReader.hostPort(listen);
      if (hp == null) {
        throw new ConfigurationException(
            "--listen", "--listen: '" + listen + "' must be HOST:PORT, e.g. 127.0.0.1:8080");
      }
      c = c.withApi(c.api.withListen(hp.host(), hp.port()));
    }
    if (dir != null) {
      c = c.withStateDir(dir);
    }
    if (format != null) {
      if (!format.equals("text") && !format.equals("json")) {
        throw new ConfigurationException(
            "--log-format", "--log-format: '" + format + "' must be text or json");
      }
      c = c.withLogFormat(format);
    }
    return c;
  }

  /** The state directory: the configured one, else {@code $PLASM_HOME}, else {@code ~/.plasm}. */
  public Path resolveStateDir(Map<String, String> env) {
    if (stateDir != null) {
      return stateDir;
    }
    String h = env.get("PLASM_HOME");
    return h != null && !h.isBlank()
        ? Path.of(h)
        : Path.of(System.getProperty("user.home"), ".plasm");
  }

  /**
   * The settings for {@code plasm daemon}: {@code file} if given, else {@link #DEFAULT_FILE} when it
   * exists, else the defaults.
   */
  public static DaemonConfig load(Path file) {
    if (file == null) {
      return Files.isRegularFile(DEFAULT_FILE) ? read(DEFAULT_FILE) : DEFAULTS;
    }
    return read(file);
  }

  /** Reads one TOML file. */
  public static DaemonConfig read(Path file) {
    return ConfigReader.read(file);
  }

  /** Parses TOML text; {@code file} names it in messages. */
  public static DaemonConfig parse(Path file, String toml) {
    return ConfigReader.parse(file, toml);
  }

  /** Every key the file may hold, dotted ({@code api.listen}); docs/config.md documents each. */
  public static List<String> keys() {
    return ConfigReader.KEYS;
  }

  /**
   * The resident memory at which a worker is killed: {@code workers.max-rss}, else the worker heap
   * plus the node's memory limit (native engines keep guest memory outside the heap) plus 256 MiB.
   */
  public long effectiveMaxRss() {
    return workers.maxRss() > 0
        ? workers.maxRss()
        : (workerHeapMiB(limits.maxMemoryBytes()) << 20) + limits.maxMemoryBytes() + (256L << 20);
  }

  /** The heap of a worker that must run jobs of up to {@code maxMemoryBytes}: 4/3 of it (Chicory keeps guest memory on the heap) plus 192 MiB. */
  public static long workerHeapMiB(long maxMemoryBytes) {
    return (maxMemoryBytes * 4 / 3 >> 20) + 192;
  }
}
