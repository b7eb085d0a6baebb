package dev.plasm.daemon;

import dev.plasm.api.ByteSize;
import dev.plasm.api.ConfigurationException;
import dev.plasm.api.Durations;
import dev.plasm.api.ResourceLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.toml.TomlMapper;

/**
 * The daemon's settings, read from a strict TOML file (docs/config.md). Every key is documented;
 * an unknown key or a bad value is an error that names the key.
 *
 * @param source the file the settings came from, or null for the built-in defaults
 * @param stateDir the state directory, or null for {@code $PLASM_HOME} (default {@code ~/.plasm})
 * @param listenHost the address the HTTP API binds to
 * @param listenPort its port (0 picks a free one)
 * @param logFormat {@code text} or {@code json}
 * @param maxJsonBody largest JSON request body, in bytes
 * @param requestTimeout how long a client may take to send a request or read a response
 * @param maxWait the longest {@code wait?timeout=} accepted
 * @param concurrency jobs run at the same time
 * @param queueCapacity jobs waiting to run before submissions get 429
 * @param limits the node's limits: a job gets these unless it asks for less, and cannot ask for more
 * @param killGrace how long after a job's deadline its worker is killed
 * @param workerJavaOptions extra JVM options for worker processes
 * @param pluginDirs engine plugin directories, or empty for the defaults
 * @param pool how worker processes are kept and replaced
 * @param p2p the {@code [p2p]} settings: the peer-to-peer node (off by default)
 */
public record DaemonConfig(
    Path source,
    Path stateDir,
    String listenHost,
    int listenPort,
    String logFormat,
    long maxJsonBody,
    Duration requestTimeout,
    Duration maxWait,
    int concurrency,
    int queueCapacity,
    ResourceLimits limits,
    Duration killGrace,
    List<String> workerJavaOptions,
    List<Path> pluginDirs,
    WorkerPool pool,
    P2pConfig p2p) {

  /**
   * The worker pool ({@code [workers]}).
   *
   * @param warm keep one worker JVM per executor running between jobs (false: a fresh JVM per job)
   * @param maxJobs jobs a warm worker runs before it is replaced by a fresh one
   * @param maxRss resident memory at which a worker is killed and its job fails with the memory
   *     limit, in bytes; 0 derives it from the node's memory limit
   * @param moduleCache compiled modules each worker keeps (0: compile every job)
   * @param shutdownGrace how long a graceful stop lets running jobs finish before killing them
   */
  public record WorkerPool(boolean warm, int maxJobs, long maxRss, int moduleCache, Duration shutdownGrace) {
    public static final WorkerPool DEFAULTS = new WorkerPool(true, 10_000, 0, 64, Duration.ofSeconds(10));

    public WorkerPool {
      if (maxJobs < 1) {
        throw new IllegalArgumentException("maxJobs must be >= 1");
      }
      if (maxRss < 0 || moduleCache < 0) {
        throw new IllegalArgumentException("maxRss and moduleCache must be >= 0");
      }
      Objects.requireNonNull(shutdownGrace, "shutdownGrace");
    }
  }

  /** Read when {@code --config} is not given and the file exists. */
  public static final Path DEFAULT_FILE = Path.of("/etc/plasm/plasmd.toml");

  /** The built-in defaults (docs/config.md). */
  public static final DaemonConfig DEFAULTS =
      new DaemonConfig(
          null, null, "127.0.0.1", 8080, "text", 8L << 20, Duration.ofSeconds(30), Duration.ofMinutes(5), 2, 64,
          ResourceLimits.DEFAULTS, Duration.ofSeconds(10), List.of(), List.of(), WorkerPool.DEFAULTS, P2pConfig.DEFAULTS);

  private static final Set<String> TABLES = Set.of("api", "log", "jobs", "limits", "workers", "engines", "p2p");

  public DaemonConfig {
    Objects.requireNonNull(listenHost, "listenHost");
    Objects.requireNonNull(logFormat, "logFormat");
    Objects.requireNonNull(pool, "pool");
    workerJavaOptions = List.copyOf(workerJavaOptions);
    pluginDirs = List.copyOf(pluginDirs);
    Objects.requireNonNull(p2p, "p2p");
  }

  public DaemonConfig withListen(String host, int port) {
    return new DaemonConfig(source, stateDir, host, port, logFormat, maxJsonBody, requestTimeout, maxWait, concurrency,
        queueCapacity, limits, killGrace, workerJavaOptions, pluginDirs, pool, p2p);
  }

  public DaemonConfig withStateDir(Path dir) {
    return new DaemonConfig(source, dir, listenHost, listenPort, logFormat, maxJsonBody, requestTimeout, maxWait,
        concurrency, queueCapacity, limits, killGrace, workerJavaOptions, pluginDirs, pool, p2p);
  }

  public DaemonConfig withLogFormat(String format) {
    checkLogFormat("log.format", format);
    return new DaemonConfig(source, stateDir, listenHost, listenPort, format, maxJsonBody, requestTimeout, maxWait,
        concurrency, queueCapacity, limits, killGrace, workerJavaOptions, pluginDirs, pool, p2p);
  }

  public DaemonConfig withPluginDirs(List<Path> dirs) {
    return new DaemonConfig(source, stateDir, listenHost, listenPort, logFormat, maxJsonBody, requestTimeout, maxWait,
        concurrency, queueCapacity, limits, killGrace, workerJavaOptions, dirs, pool, p2p);
  }

  /**
   * Applies command-line overrides (each may be null): {@code --listen HOST:PORT}, {@code
   * --state-dir}, {@code --log-format}. Errors name the flag.
   */
  public DaemonConfig withOverrides(String listen, Path dir, String format) {
    DaemonConfig c = this;
    if (listen != null) {
      int colon = listen.lastIndexOf(':');
      int port;
      try {
        port = colon <= 0 ? -1 : Integer.parseInt(listen.substring(colon + 1));
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (port < 0 || port > 65535) {
        throw new ConfigurationException("--listen", "--listen: '" + listen + "' must be HOST:PORT, e.g. 127.0.0.1:8080");
      }
      String host = listen.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      c = c.withListen(host, port);
    }
    if (dir != null) {
      c = c.withStateDir(dir);
    }
    if (format != null) {
      if (!format.equals("text") && !format.equals("json")) {
        throw new ConfigurationException("--log-format", "--log-format: '" + format + "' must be text or json");
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
    return h != null && !h.isBlank() ? Path.of(h) : Path.of(System.getProperty("user.home"), ".plasm");
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
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigurationException("--config", "--config: " + file + ": no such file");
    } catch (IOException e) {
      throw new ConfigurationException("--config", "--config: cannot read " + file + ": " + e.getMessage());
    }
    return parse(file, text);
  }

  /** Parses TOML text; {@code file} names it in messages. */
  public static DaemonConfig parse(Path file, String toml) {
    String where = file == null ? "config" : file.toString();
    JsonNode root;
    try {
      root = TomlMapper.builder().build().readTree(toml);
    } catch (JacksonException e) {
      throw new ConfigurationException("--config", where + ": not valid TOML: " + e.getOriginalMessage());
    }
    Reader r = new Reader(where);
    for (Iterator<String> it = root.propertyNames().iterator(); it.hasNext(); ) {
      String k = it.next();
      if (!k.equals("state-dir") && !TABLES.contains(k)) {
        throw r.error(k, "unknown key; the keys are state-dir and the tables " + String.join(", ", TABLES.stream().sorted().toList())
            + " (docs/config.md)");
      }
      if (TABLES.contains(k) && !root.get(k).isObject()) {
        throw r.error(k, "must be a table ([" + k + "])");
      }
    }
    DaemonConfig d = DEFAULTS;
    Path stateDir = r.string(root, "", "state-dir") == null ? null : Path.of(r.string(root, "", "state-dir"));

    JsonNode api = r.table(root, "api", Set.of("listen", "max-json-body", "request-timeout", "max-wait"));
    String host = d.listenHost;
    int port = d.listenPort;
    String listen = r.string(api, "api.", "listen");
    if (listen != null) {
      int colon = listen.lastIndexOf(':');
      if (colon <= 0) {
        throw r.error("api.listen", "'" + listen + "' must be HOST:PORT, e.g. 127.0.0.1:8080");
      }
      host = listen.substring(0, colon);
      if (host.startsWith("[") && host.endsWith("]")) {
        host = host.substring(1, host.length() - 1);
      }
      try {
        port = Integer.parseInt(listen.substring(colon + 1));
      } catch (NumberFormatException e) {
        port = -1;
      }
      if (port < 0 || port > 65535) {
        throw r.error("api.listen", "'" + listen + "' has no valid port (0-65535)");
      }
    }
    long maxJsonBody = r.size(api, "api.", "max-json-body", d.maxJsonBody, 1024, 1L << 30);
    Duration requestTimeout = r.duration(api, "api.", "request-timeout", d.requestTimeout, Duration.ofSeconds(1), Duration.ofHours(1));
    Duration maxWait = r.duration(api, "api.", "max-wait", d.maxWait, Duration.ofSeconds(1), Duration.ofHours(1));

    JsonNode log = r.table(root, "log", Set.of("format"));
    String format = r.string(log, "log.", "format");
    if (format == null) {
      format = d.logFormat;
    }
    if (!format.equals("text") && !format.equals("json")) {
      throw r.error("log.format", "'" + format + "' must be text or json");
    }

    JsonNode jobs = r.table(root, "jobs", Set.of("concurrency", "queue-capacity"));
    int concurrency = (int) r.integer(jobs, "jobs.", "concurrency", d.concurrency, 1, 256);
    int queueCapacity = (int) r.integer(jobs, "jobs.", "queue-capacity", d.queueCapacity, 1, 100_000);

    JsonNode lim = r.table(root, "limits", Set.of("memory", "table-elements", "timeout", "fuel", "output", "module-size"));
    ResourceLimits base = d.limits;
    long memory = r.size(lim, "limits.", "memory", base.maxMemoryBytes(), Long.MIN_VALUE, Long.MAX_VALUE);
    long tables = r.integer(lim, "limits.", "table-elements", base.maxTableElements(), Long.MIN_VALUE, Long.MAX_VALUE);
    Duration timeout = r.duration(lim, "limits.", "timeout", base.timeout(), null, null);
    OptionalLong fuel = lim != null && lim.has("fuel")
        ? OptionalLong.of(r.integer(lim, "limits.", "fuel", 0, 1, Long.MAX_VALUE)) : OptionalLong.empty();
    long output = r.size(lim, "limits.", "output", base.maxOutputBytes(), Long.MIN_VALUE, Long.MAX_VALUE);
    long moduleSize = r.size(lim, "limits.", "module-size", base.maxModuleBytes(), Long.MIN_VALUE, Long.MAX_VALUE);
    ResourceLimits limits;
    try {
      limits = new ResourceLimits(memory, tables, timeout, fuel, output, moduleSize);
    } catch (ConfigurationException e) {
      String key = switch (e.field()) {
        case "--max-memory" -> "limits.memory";
        case "--max-table-elements" -> "limits.table-elements";
        case "--timeout" -> "limits.timeout";
        case "--fuel" -> "limits.fuel";
        case "--max-output" -> "limits.output";
        case "--max-module-size" -> "limits.module-size";
        default -> "limits";
      };
      String msg = e.getMessage();
      if (msg.startsWith(e.field() + ": ")) {
        msg = msg.substring(e.field().length() + 2);
      }
      throw r.error(key, msg);
    }

    JsonNode workers = r.table(root, "workers", Set.of("kill-grace", "java-options", "warm", "max-jobs", "max-rss",
        "module-cache", "shutdown-grace"));
    Duration killGrace = r.duration(workers, "workers.", "kill-grace", d.killGrace, Duration.ofSeconds(1), Duration.ofMinutes(10));
    List<String> javaOptions = r.strings(workers, "workers.", "java-options", d.workerJavaOptions);
    WorkerPool dp = d.pool;
    boolean warm = r.bool(workers, "workers.", "warm", dp.warm());
    int maxJobs = (int) r.integer(workers, "workers.", "max-jobs", dp.maxJobs(), 1, 1_000_000_000);
    long maxRss = workers != null && workers.has("max-rss") && workers.get("max-rss").isString()
        && workers.get("max-rss").asString().equals("auto")
        ? 0 : r.size(workers, "workers.", "max-rss", dp.maxRss(), 64L << 20, 1L << 40);
    int moduleCache = (int) r.integer(workers, "workers.", "module-cache", dp.moduleCache(), 0, 10_000);
    Duration shutdownGrace = r.duration(workers, "workers.", "shutdown-grace", dp.shutdownGrace(), Duration.ZERO,
        Duration.ofHours(1));
    WorkerPool pool = new WorkerPool(warm, maxJobs, maxRss, moduleCache, shutdownGrace);

    JsonNode engines = r.table(root, "engines", Set.of("plugin-dirs"));
    List<Path> pluginDirs = r.strings(engines, "engines.", "plugin-dirs", List.of()).stream().map(Path::of).toList();

    return new DaemonConfig(file, stateDir, host, port, format, maxJsonBody, requestTimeout, maxWait, concurrency,
        queueCapacity, limits, killGrace, javaOptions, pluginDirs, pool, parseP2p(r, root));
  }

  /**
   * The resident memory at which a worker is killed: {@code workers.max-rss}, else the worker heap
   * plus the node's memory limit (native engines keep guest memory outside the heap) plus 256 MiB.
   */
  public long effectiveMaxRss() {
    return pool.maxRss() > 0 ? pool.maxRss() : (workerHeapMiB(limits.maxMemoryBytes()) << 20) + limits.maxMemoryBytes() + (256L << 20);
  }

  /** The heap of a worker that must run jobs of up to {@code maxMemoryBytes}: 4/3 of it (Chicory keeps guest memory on the heap) plus 192 MiB. */
  public static long workerHeapMiB(long maxMemoryBytes) {
    return (maxMemoryBytes * 4 / 3 >> 20) + 192;
  }

  /** The same settings with p2p switched on or off ({@code plasm daemon --p2p}). */
  public DaemonConfig withP2pEnabled(boolean on) {
    return new DaemonConfig(source, stateDir, listenHost, listenPort, logFormat, maxJsonBody, requestTimeout, maxWait,
        concurrency, queueCapacity, limits, killGrace, workerJavaOptions, pluginDirs, pool, p2p.withEnabled(on));
  }

  private static P2pConfig parseP2p(Reader r, JsonNode root) {
    P2pConfig d = P2pConfig.DEFAULTS;
    JsonNode t = r.table(root, "p2p", Set.of("enabled", "transport", "listen", "bootstrap", "max-inbound-streams",
        "max-pending-handshakes", "max-value-size", "max-records", "dial-timeout", "query-timeout"));
    boolean enabled = d.enabled();
    if (t != null && t.has("enabled")) {
      if (!t.get("enabled").isBoolean()) {
        throw r.error("p2p.enabled", "must be true or false");
      }
      enabled = t.get("enabled").asBoolean();
    }
    String transport = r.string(t, "p2p.", "transport");
    if (transport == null) {
      transport = d.transport();
    } else if (!dev.plasm.transport.spi.TransportDescriptor.ID_PATTERN.matcher(transport).matches()) {
      throw r.error("p2p.transport", "'" + transport + "' is not a transport id (e.g. libp2p)");
    }
    List<String> listen = r.strings(t, "p2p.", "listen", d.listen());
    if (listen.isEmpty() || listen.size() > 16) {
      throw r.error("p2p.listen", "give 1 to 16 addresses, e.g. [\"" + P2pConfig.DEFAULT_LISTEN + "\"]");
    }
    for (int i = 0; i < listen.size(); i++) {
      String a = listen.get(i);
      if (!a.startsWith("/") || a.contains("/p2p/") || a.length() > 256) {
        throw r.error("p2p.listen[" + i + "]", "'" + a + "' must be a multiaddr without /p2p/, e.g. " + P2pConfig.DEFAULT_LISTEN);
      }
    }
    List<String> bootstrap = r.strings(t, "p2p.", "bootstrap", d.bootstrap());
    if (bootstrap.size() > 64) {
      throw r.error("p2p.bootstrap", "give at most 64 peers");
    }
    for (int i = 0; i < bootstrap.size(); i++) {
      String a = bootstrap.get(i);
      int p = a.lastIndexOf("/p2p/");
      String problem = !a.startsWith("/") || p < 0 ? "must end in /p2p/<peer id>, e.g. /ip4/192.0.2.7/tcp/4001/p2p/12D3KooW..." : null;
      if (problem == null) {
        try {
          dev.plasm.identity.PeerId.parse(a.substring(p + 5));
        } catch (IllegalArgumentException e) {
          problem = "ends in a bad peer id: " + e.getMessage();
        }
      }
      if (problem != null) {
        throw r.error("p2p.bootstrap[" + i + "]", "'" + a + "' " + problem);
      }
    }
    dev.plasm.transport.spi.TransportLimits dl = d.limits();
    int streams = (int) r.integer(t, "p2p.", "max-inbound-streams", dl.maxInboundStreams(), 1, 65_536);
    int handshakes = (int) r.integer(t, "p2p.", "max-pending-handshakes", dl.maxPendingHandshakes(), 1, 4096);
    int valueSize = (int) r.size(t, "p2p.", "max-value-size", dl.maxValueBytes(), 1,
        dev.plasm.transport.spi.TransportLimits.MAX_VALUE_BYTES);
    int records = (int) r.integer(t, "p2p.", "max-records", dl.maxRecords(), 1, 10_000_000);
    Duration dial = r.duration(t, "p2p.", "dial-timeout", dl.dialTimeout(), Duration.ofMillis(100), Duration.ofMinutes(5));
    Duration query = r.duration(t, "p2p.", "query-timeout", dl.queryTimeout(), Duration.ofSeconds(1), Duration.ofMinutes(10));
    return new P2pConfig(enabled, transport, listen, bootstrap,
        new dev.plasm.transport.spi.TransportLimits(streams, handshakes, valueSize, records, dial, query));
  }

  private static void checkLogFormat(String key, String format) {
    if (!format.equals("text") && !format.equals("json")) {
      throw new ConfigurationException(key, key + ": '" + format + "' must be text or json");
    }
  }

  /** Typed reads that name the key in every error. */
  private record Reader(String where) {
    ConfigurationException error(String key, String message) {
      return new ConfigurationException(key, where + ": " + key + ": " + message);
    }

    JsonNode table(JsonNode root, String name, Set<String> keys) {
      JsonNode t = root.get(name);
      if (t == null) {
        return null;
      }
      for (Iterator<String> it = t.propertyNames().iterator(); it.hasNext(); ) {
        String k = it.next();
        if (!keys.contains(k)) {
          throw error(name + "." + k, "unknown key; [" + name + "] has " + String.join(", ", keys.stream().sorted().toList()));
        }
      }
      return t;
    }

    boolean bool(JsonNode t, String prefix, String key, boolean dflt) {
      if (t == null || !t.has(key)) {
        return dflt;
      }
      JsonNode v = t.get(key);
      if (!v.isBoolean()) {
        throw error(prefix + key, "must be true or false");
      }
      return v.asBoolean();
    }

    String string(JsonNode t, String prefix, String key) {
      if (t == null || !t.has(key)) {
        return null;
      }
      JsonNode v = t.get(key);
      if (!v.isString()) {
        throw error(prefix + key, "must be a string");
      }
      return v.asString();
    }

    long integer(JsonNode t, String prefix, String key, long dflt, long min, long max) {
      if (t == null || !t.has(key)) {
        return dflt;
      }
      JsonNode v = t.get(key);
      if (!v.isIntegralNumber() || !v.canConvertToLong()) {
        throw error(prefix + key, "must be a whole number");
      }
      long n = v.asLong();
      if (n < min || n > max) {
        throw error(prefix + key, n + " is out of range; give " + min + " to " + max);
      }
      return n;
    }

    long size(JsonNode t, String prefix, String key, long dflt, long min, long max) {
      if (t == null || !t.has(key)) {
        return dflt;
      }
      JsonNode v = t.get(key);
      long n;
      if (v.isIntegralNumber() && v.canConvertToLong()) {
        n = v.asLong();
      } else if (v.isString()) {
        try {
          n = ByteSize.parse(prefix + key, v.asString());
        } catch (ConfigurationException e) {
          throw new ConfigurationException(prefix + key, where + ": " + e.getMessage());
        }
      } else {
        throw error(prefix + key, "must be a size, e.g. \"64MiB\"");
      }
      if (n < min || n > max) {
        throw error(prefix + key, ByteSize.format(n) + " is out of range; give " + ByteSize.format(min) + " to " + ByteSize.format(max));
      }
      return n;
    }

    Duration duration(JsonNode t, String prefix, String key, Duration dflt, Duration min, Duration max) {
      if (t == null || !t.has(key)) {
        return dflt;
      }
      JsonNode v = t.get(key);
      if (!v.isString()) {
        throw error(prefix + key, "must be a duration string, e.g. \"30s\"");
      }
      Duration d;
      try {
        d = Durations.parse(prefix + key, v.asString());
      } catch (ConfigurationException e) {
        throw new ConfigurationException(prefix + key, where + ": " + e.getMessage());
      }
      if ((min != null && d.compareTo(min) < 0) || (max != null && d.compareTo(max) > 0)) {
        throw error(prefix + key, v.asString() + " is out of range; give " + Durations.format(min) + " to " + Durations.format(max));
      }
      return d;
    }

    List<String> strings(JsonNode t, String prefix, String key, List<String> dflt) {
      if (t == null || !t.has(key)) {
        return dflt;
      }
      JsonNode v = t.get(key);
      if (!v.isArray()) {
        throw error(prefix + key, "must be an array of strings");
      }
      List<String> out = new ArrayList<>();
      for (JsonNode e : v) {
        if (!e.isString()) {
          throw error(prefix + key, "must be an array of strings");
        }
        out.add(e.asString());
      }
      return out;
    }
  }
}
