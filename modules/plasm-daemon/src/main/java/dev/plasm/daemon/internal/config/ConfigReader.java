package dev.plasm.daemon.internal.config;

import dev.plasm.api.ByteSize;
import dev.plasm.api.ConfigurationException;
import dev.plasm.api.Durations;
import dev.plasm.api.Limit;
import dev.plasm.api.LimitValueException;
import dev.plasm.api.ResourceLimits;
import dev.plasm.daemon.DaemonConfig;
import dev.plasm.daemon.P2pConfig;
import dev.plasm.daemon.RemoteConfig;
import dev.plasm.identity.PeerId;
import dev.plasm.transport.spi.ReachSettings;
import dev.plasm.transport.spi.RelayServiceLimits;
import dev.plasm.transport.spi.TransportDescriptor;
import dev.plasm.transport.spi.TransportLimits;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.toml.TomlMapper;

/**
 * Reads the daemon's TOML file into a {@link DaemonConfig}: strict (an unknown key, a wrong type or
 * an out-of-range value is an error naming the key, {@code file: table.key: what is wrong}).
 */
public final class ConfigReader {
  private ConfigReader() {}

  /** The keys of each table, in the order docs/config.md lists them. */
  private static final Map<String, List<String>> TABLES = new LinkedHashMap<>();

  static {
    TABLES.put(
        "api",
        List.of("listen", "max-json-body", "request-timeout", "max-wait", "max-connections"));
    TABLES.put("daemon", List.of("heap"));
    TABLES.put("log", List.of("format"));
    TABLES.put("jobs", List.of("concurrency", "queue-capacity", "retention", "max-retained"));
    TABLES.put("limits", Arrays.stream(Limit.values()).map(Limit::configKey).toList());
    TABLES.put(
        "workers",
        List.of(
            "kill-grace",
            "java-options",
            "warm",
            "max-jobs",
            "max-rss",
            "module-cache",
            "shutdown-grace"));
    TABLES.put("engines", List.of("plugin-dirs"));
    TABLES.put(
        "remote",
        List.of(
            "enabled",
            "allow",
            "deny",
            "max-concurrent",
            "per-peer-concurrent",
            "per-peer-per-minute",
            "offer-interval",
            "offer-ttl",
            "max-attempts",
            "max-dispatch"));
    TABLES.put(
        "p2p",
        List.of(
            "enabled",
            "transport",
            "listen",
            "bootstrap",
            "max-inbound-streams",
            "max-pending-handshakes",
            "max-value-size",
            "max-records",
            "dial-timeout",
            "query-timeout",
            "autonat",
            "relays",
            "hole-punching",
            "relay-service",
            "relay-max-reservations",
            "relay-max-circuits",
            "relay-circuit-duration",
            "relay-circuit-bytes"));
  }

  /** Every key, dotted ({@code api.listen}); top-level keys without a dot. */
  public static final List<String> KEYS;

  static {
    List<String> k = new ArrayList<>();
    k.add("state-dir");
    TABLES.forEach((t, keys) -> keys.forEach(key -> k.add(t + "." + key)));
    KEYS = List.copyOf(k);
  }

  /** A {@code HOST:PORT} (IPv6 in brackets) with a port of 0-65535, or null when it is not one. */
  public record HostPort(String host, int port) {}

  public static HostPort hostPort(String listen) {
    int colon = listen.lastIndexOf(':');
    if (colon <= 0) {
      return null;
    }
    String host = listen.substring(0, colon);
    if (host.startsWith("[") && host.endsWith("]")) {
      host = host.substring(1, host.length() - 1);
    }
    int port;
    try {
      port = Integer.parseInt(listen.substring(colon + 1));
    } catch (NumberFormatException e) {
      return null;
    }
    return port < 0 || port > 65535 || host.isEmpty() ? null : new HostPort(host, port);
  }

  public static DaemonConfig read(Path file) {
    String text;
    try {
      text = Files.readString(file);
    } catch (NoSuchFileException e) {
      throw new ConfigurationException("--config", "--config: " + file + ": no such file");
    } catch (IOException e) {
      throw new ConfigurationException(
          "--config", "--config: cannot read " + file + ": " + e.getMessage());
    }
    return parse(file, text);
  }

  public static DaemonConfig parse(Path file, String toml) {
    String where = file == null ? "config" : file.toString();
    JsonNode root;
    try {
      root = TomlMapper.builder().build().readTree(toml);
    } catch (JacksonException e) {
      throw new ConfigurationException(
          "--config", where + ": not valid TOML: " + e.getOriginalMessage());
    }
    Reader r = new Reader(where);
    for (Iterator<String> it = root.propertyNames().iterator(); it.hasNext(); ) {
      String k = it.next();
      if (!k.equals("state-dir") && !TABLES.containsKey(k)) {
        throw r.error(
            k,
            "unknown key; the keys are state-dir and the tables "
                + String.join(", ", TABLES.keySet().stream().sorted().toList())
                + " (docs/config.md)");
      }
      if (TABLES.containsKey(k) && !root.get(k).isObject()) {
        throw r.error(k, "must be a table ([" + k + "])");
      }
    }
    DaemonConfig d = DaemonConfig.DEFAULTS;
    String state = r.string(root, "", "state-dir");
    Path stateDir = state == null ? null : Path.of(state);

    JsonNode api = r.table(root, "api");
    DaemonConfig.Api da = d.api();
    String host = da.listenHost();
    int port = da.listenPort();
    String listen = r.string(api, "api.", "listen");
    if (listen != null) {
      HostPort hp = hostPort(listen);
      if (hp == null) {
        throw r.error(
            "api.listen",
            "'" + listen + "' must be HOST:PORT with a port of 0-65535, e.g. 127.0.0.1:8080");
      }
      host = hp.host();
      port = hp.port();
    }
    DaemonConfig.Api apiConfig =
        new DaemonConfig.Api(
            host,
            port,
            r.size(api, "api.", "max-json-body", da.maxJsonBody(), 1024, 1L << 30),
            r.duration(
                api,
                "api.",
                "request-timeout",
                da.requestTimeout(),
                Duration.ofSeconds(1),
                Duration.ofHours(1)),
            r.duration(
                api, "api.", "max-wait", da.maxWait(), Duration.ofSeconds(1), Duration.ofHours(1)),
            (int) r.integer(api, "api.", "max-connections", da.maxConnections(), 8, 100_000));

    JsonNode log = r.table(root, "log");
    String format = r.string(log, "log.", "format");
    if (format == null) {
      format = d.logFormat();
    }
    if (!format.equals("text") && !format.equals("json")) {
      throw r.error("log.format", "'" + format + "' must be text or json");
    }

    long heap = r.size(r.table(root, "daemon"), "daemon.", "heap", d.heap(), 64L << 20, 1L << 40);

    JsonNode jobs = r.table(root, "jobs");
    DaemonConfig.Jobs jobsConfig =
        new DaemonConfig.Jobs(
            (int) r.integer(jobs, "jobs.", "concurrency", d.jobs().concurrency(), 1, 256),
            (int) r.integer(jobs, "jobs.", "queue-capacity", d.jobs().queueCapacity(), 1, 100_000),
            r.duration(
                jobs,
                "jobs.",
                "retention",
                d.jobs().retention(),
                Duration.ofSeconds(1),
                Duration.ofDays(3650)),
            (int) r.integer(jobs, "jobs.", "max-retained", d.jobs().maxRetained(), 1, 10_000_000));

    ResourceLimits limits = limits(r, r.table(root, "limits"), d.limits());

    JsonNode workers = r.table(root, "workers");
    DaemonConfig.Workers dw = d.workers();
    long maxRss =
        workers != null
                && workers.has("max-rss")
                && workers.get("max-rss").isString()
                && workers.get("max-rss").asString().equals("auto")
            ? 0
            : r.size(workers, "workers.", "max-rss", dw.maxRss(), 64L << 20, 1L << 40);
    DaemonConfig.Workers workersConfig =
        new DaemonConfig.Workers(
            r.duration(
                workers,
                "workers.",
                "kill-grace",
                dw.killGrace(),
                Duration.ofSeconds(1),
                Duration.ofMinutes(10)),
            r.strings(workers, "workers.", "java-options", dw.javaOptions()),
            r.bool(workers, "workers.", "warm", dw.warm()),
            (int) r.integer(workers, "workers.", "max-jobs", dw.maxJobs(), 1, 1_000_000_000),
            maxRss,
            (int) r.integer(workers, "workers.", "module-cache", dw.moduleCache(), 0, 10_000),
            r.duration(
                workers,
                "workers.",
                "shutdown-grace",
                dw.shutdownGrace(),
                Duration.ZERO,
                Duration.ofHours(1)));

    JsonNode engines = r.table(root, "engines");
    List<Path> pluginDirs =
        r.strings(engines, "engines.", "plugin-dirs", List.of()).stream().map(Path::of).toList();

    return new DaemonConfig(
        file,
        stateDir,
        apiConfig,
        format,
        heap,
        jobsConfig,
        limits,
        workersConfig,
        pluginDirs,
        p2p(r, root),
        remote(r, root));
  }

  /**
   * {@code [limits]}: one key per {@link Limit} ({@link Limit#configKey()}), a number or, for sizes
   * and durations, a string such as "64MiB" or "30s"; an optional limit (fuel) absent is unset.
   */
  private static ResourceLimits limits(Reader r, JsonNode lim, ResourceLimits base) {
    Map<Limit, Long> values = new EnumMap<>(Limit.class);
    base.values().forEach(values::put);
    for (Limit l : Limit.values()) {
      if (lim == null || !lim.has(l.configKey())) {
        continue;
      }
      String key = "limits." + l.configKey();
      JsonNode v = lim.get(l.configKey());
      try {
        if (v.isIntegralNumber() && v.canConvertToLong() && l.unit() != Limit.Unit.MILLIS) {
          values.put(l, l.check(v.asLong()));
        } else if (v.isString() && l.unit() != Limit.Unit.COUNT) {
          values.put(l, l.parse(v.asString()));
        } else {
          throw r.error(
              key,
              switch (l.unit()) {
                case BYTES -> "must be a size, e.g. \"64MiB\"";
                case MILLIS -> "must be a duration string, e.g. \"30s\"";
                case COUNT -> "must be a whole number";
              });
        }
      } catch (LimitValueException e) {
        throw r.error(key, e.problem());
      }
    }
    return new ResourceLimits(values);
  }

  private static RemoteConfig remote(Reader r, JsonNode root) {
    RemoteConfig d = RemoteConfig.DEFAULTS;
    JsonNode t = r.table(root, "remote");
    List<String> allow = peerIds(r, t, "allow");
    List<String> deny = peerIds(r, t, "deny");
    Duration interval =
        r.duration(
            t,
            "remote.",
            "offer-interval",
            d.offerInterval(),
            Duration.ofSeconds(1),
            Duration.ofHours(1));
    Duration ttl =
        r.duration(
            t, "remote.", "offer-ttl", d.offerTtl(), Duration.ofSeconds(5), Duration.ofHours(24));
    if (ttl.compareTo(interval) <= 0) {
      throw r.error(
          "remote.offer-ttl",
          "must be longer than remote.offer-interval ("
              + Durations.format(interval)
              + "), or offers go stale between refreshes");
    }
    return new RemoteConfig(
        r.bool(t, "remote.", "enabled", d.enabled()),
        allow,
        deny,
        (int) r.integer(t, "remote.", "max-concurrent", d.maxConcurrent(), 1, 100_000),
        (int) r.integer(t, "remote.", "per-peer-concurrent", d.perPeerConcurrent(), 1, 100_000),
        (int) r.integer(t, "remote.", "per-peer-per-minute", d.perPeerPerMinute(), 1, 1_000_000),
        interval,
        ttl,
        (int) r.integer(t, "remote.", "max-attempts", d.maxAttempts(), 1, 100),
        (int) r.integer(t, "remote.", "max-dispatch", d.maxDispatch(), 1, 100_000));
  }

  /** Peer ids in either text form of the peer-ids spec, kept in the base58btc form the transport reports. */
  private static List<String> peerIds(Reader r, JsonNode t, String key) {
    List<String> ids = r.strings(t, "remote.", key, List.of());
    List<String> canonical = new ArrayList<>(ids.size());
    for (int i = 0; i < ids.size(); i++) {
      try {
        canonical.add(PeerId.parse(ids.get(i)).toString());
      } catch (IllegalArgumentException e) {
        throw r.error(
            "remote." + key + "[" + i + "]",
            "'" + ids.get(i) + "' is not a peer id: " + e.getMessage());
      }
    }
    return canonical;
  }

  private static P2pConfig p2p(Reader r, JsonNode root) {
    P2pConfig d = P2pConfig.DEFAULTS;
    JsonNode t = r.table(root, "p2p");
    boolean enabled = r.bool(t, "p2p.", "enabled", d.enabled());
    String transport = r.string(t, "p2p.", "transport");
    if (transport == null) {
      transport = d.transport();
    } else if (!TransportDescriptor.ID_PATTERN.matcher(transport).matches()) {
      throw r.error("p2p.transport", "'" + transport + "' is not a transport id (e.g. libp2p)");
    }
    List<String> listen = r.strings(t, "p2p.", "listen", d.listen());
    if (listen.isEmpty() || listen.size() > 16) {
      throw r.error(
          "p2p.listen", "give 1 to 16 addresses, e.g. [\"" + P2pConfig.DEFAULT_LISTEN + "\"]");
    }
    for (int i = 0; i < listen.size(); i++) {
      String a = listen.get(i);
      if (!a.startsWith("/") || a.contains("/p2p/") || a.length() > 256) {
        throw r.error(
            "p2p.listen[" + i + "]",
            "'" + a + "' must be a multiaddr without /p2p/, e.g. " + P2pConfig.DEFAULT_LISTEN);
      }
    }
    List<String> bootstrap = peerAddresses(r, t, "bootstrap", d.bootstrap(), 64);
    TransportLimits dl = d.limits();
    int streams =
        (int) r.integer(t, "p2p.", "max-inbound-streams", dl.maxInboundStreams(), 1, 65_536);
    int handshakes =
        (int) r.integer(t, "p2p.", "max-pending-handshakes", dl.maxPendingHandshakes(), 1, 4096);
    int valueSize =
        (int)
            r.size(
                t,
                "p2p.",
                "max-value-size",
                dl.maxValueBytes(),
                1,
                TransportLimits.MAX_VALUE_BYTES);
    int records = (int) r.integer(t, "p2p.", "max-records", dl.maxRecords(), 1, 10_000_000);
    Duration dial =
        r.duration(
            t,
            "p2p.",
            "dial-timeout",
            dl.dialTimeout(),
            Duration.ofMillis(100),
            Duration.ofMinutes(5));
    Duration query =
        r.duration(
            t,
            "p2p.",
            "query-timeout",
            dl.queryTimeout(),
            Duration.ofSeconds(1),
            Duration.ofMinutes(10));
    ReachSettings dr = d.reach();
    boolean autoNat = r.bool(t, "p2p.", "autonat", dr.autoNat());
    List<String> relays = peerAddresses(r, t, "relays", dr.relays(), 16);
    boolean holePunching = r.bool(t, "p2p.", "hole-punching", dr.holePunching());
    boolean relayService = r.bool(t, "p2p.", "relay-service", dr.relayService());
    RelayServiceLimits rl = dr.relayLimits();
    int reservations =
        (int) r.integer(t, "p2p.", "relay-max-reservations", rl.maxReservations(), 1, 100_000);
    int circuits = (int) r.integer(t, "p2p.", "relay-max-circuits", rl.maxCircuits(), 1, 100_000);
    Duration circuitDuration =
        r.duration(
            t,
            "p2p.",
            "relay-circuit-duration",
            rl.circuitDuration(),
            Duration.ofSeconds(1),
            Duration.ofHours(24));
    long circuitBytes = r.size(t, "p2p.", "relay-circuit-bytes", rl.circuitBytes(), 1024, 1L << 40);
    RelayServiceLimits limits =
        new RelayServiceLimits(
            reservations,
            rl.maxReservationsPerIp(),
            rl.reservationTtl(),
            circuits,
            rl.maxCircuitsPerPeer(),
            circuitDuration,
            circuitBytes);
    return new P2pConfig(
        enabled,
        transport,
        listen,
        bootstrap,
        new TransportLimits(streams, handshakes, valueSize, records, dial, query),
        new ReachSettings(autoNat, relays, relayService, limits, holePunching));
  }

  /** {@code p2p.<key>}: at most {@code max} multiaddrs, each ending in {@code /p2p/<peer id>}. */
  private static List<String> peerAddresses(
      Reader r, JsonNode t, String key, List<String> dflt, int max) {
    List<String> addrs = r.strings(t, "p2p.", key, dflt);
    if (addrs.size() > max) {
      throw r.error("p2p." + key, "give at most " + max + " peers");
    }
    for (int i = 0; i < addrs.size(); i++) {
      String a = addrs.get(i);
      int p = a.lastIndexOf("/p2p/");
      String problem =
          !a.startsWith("/") || p < 0
              ? "must end in /p2p/<peer id>, e.g. /ip4/192.0.2.7/tcp/4001/p2p/12D3KooW..."
              : null;
      if (problem == null) {
        try {
          PeerId.parse(a.substring(p + 5));
        } catch (IllegalArgumentException e) {
          problem = "ends in a bad peer id: " + e.getMessage();
        }
      }
      if (problem != null) {
        throw r.error("p2p." + key + "[" + i + "]", "'" + a + "' " + problem);
      }
    }
    return addrs;
  }

  /** Typed reads that name the key in every error. */
  private record Reader(String where) {
    ConfigurationException error(String key, String message) {
      return new ConfigurationException(key, where + ": " + key + ": " + message);
    }

    JsonNode table(JsonNode root, String name) {
      JsonNode t = root.get(name);
      if (t == null) {
        return null;
      }
      List<String> keys = TABLES.get(name);
      for (Iterator<String> it = t.propertyNames().iterator(); it.hasNext(); ) {
        String k = it.next();
        if (!keys.contains(k)) {
          throw error(
              name + "." + k,
              "unknown key; ["
                  + name
                  + "] has "
                  + String.join(", ", keys.stream().sorted().toList()));
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
        throw error(
            prefix + key,
            ByteSize.format(n)
                + " is out of range; give "
                + ByteSize.format(min)
                + " to "
                + ByteSize.format(max));
      }
      return n;
    }

    Duration duration(
        JsonNode t, String prefix, String key, Duration dflt, Duration min, Duration max) {
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
        throw error(
            prefix + key,
            v.asString()
                + " is out of range; give "
                + Durations.format(min)
                + " to "
                + Durations.format(max));
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
