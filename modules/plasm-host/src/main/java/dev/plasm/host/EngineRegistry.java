package dev.plasm.host;

import dev.plasm.api.ConfigurationException;
import dev.plasm.engine.spi.EngineDescriptor;
import dev.plasm.engine.spi.EngineEnvironment;
import dev.plasm.engine.spi.WasmEngine;
import dev.plasm.engine.spi.WasmEngineProvider;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The engines this process can use: those in the boot layer (linked into the image or on the
 * module path) and those of the plugins loaded from plugin directories ({@link Plugins}).
 *
 * <p>A provider that cannot be constructed, describes itself badly, targets another SPI version or
 * reuses an id already taken is not registered; it is reported in {@link #problems()} and every
 * other engine stays usable.
 */
public final class EngineRegistry {

  /** The engine id that asks the registry to choose (see {@link #choose}). */
  public static final String AUTO = "auto";

  /** Modules smaller than this start faster interpreted than compiled to JVM bytecode. */
  public static final int SMALL_MODULE_BYTES = 256 * 1024;

  private final Map<String, EngineInfo> engines;
  private final List<PluginProblem> problems;
  private final Map<String, WasmEngine> created = new ConcurrentHashMap<>();

  /** Where engines keep compiled code between processes, one directory each; null for nowhere. */
  private final Path cacheRoot;

  private EngineRegistry(
      Map<String, EngineInfo> engines, List<PluginProblem> problems, Path cacheRoot) {
    this.engines = Collections.unmodifiableMap(engines);
    this.problems = List.copyOf(problems);
    this.cacheRoot = cacheRoot;
  }

  /**
   * The same engines, created with a cache directory each under {@code root} ({@code
   * root/ID/VERSION}, made private to this user), so that a module compiled once is not compiled
   * again by the next process. Engines already created by this registry are not shared with the
   * returned one.
   */
  public EngineRegistry withEngineCache(Path root) {
    return new EngineRegistry(engines, problems, root.toAbsolutePath().normalize());
  }

  /** Where engine {@code id}'s cache is, or would be; empty when this registry keeps none. */
  public Optional<Path> engineCache(String id) {
    EngineInfo info = engines.get(id);
    if (cacheRoot == null || info == null) {
      return Optional.empty();
    }
    return Optional.of(
        cacheRoot.resolve(safe(info.descriptor().id())).resolve(safe(info.descriptor().version())));
  }

  /** A file name from an id or version: they are free text in descriptors. */
  private static String safe(String s) {
    String v = s.replaceAll("[^A-Za-z0-9._+-]", "_");
    return v.isEmpty() || v.startsWith(".") ? "_" + v : v;
  }

  /**
   * The environment engine {@code id} is created with: its cache directory, made now, or none when
   * it cannot be made private (a read-only home): the engine then compiles every time, which is
   * slower and nothing else.
   */
  private EngineEnvironment environment(String id) {
    Optional<Path> dir = engineCache(id);
    if (dir.isEmpty()) {
      return EngineEnvironment.NONE;
    }
    try {
      return new EngineEnvironment(PrivateDirectories.create(dir.get()));
    } catch (IOException | RuntimeException e) {
      return EngineEnvironment.NONE;
    }
  }

  /** The engines in the boot layer only (no plugin directory is read). */
  public static EngineRegistry discover() {
    return Plugins.boot().engines();
  }

  /** The engines {@code plugins} provide; see {@link Plugins#engines()}. */
  static EngineRegistry from(Plugins plugins) {
    Map<String, EngineInfo> found = new LinkedHashMap<>();
    List<PluginProblem> problems = new ArrayList<>();
    for (Plugins.Found<WasmEngineProvider> f :
        plugins.providers(WasmEngineProvider.class, "engine", problems)) {
      String source = f.source();
      String where = f.where();
      WasmEngineProvider provider;
      EngineDescriptor d;
      try {
        provider = f.provider().get();
        d = provider.descriptor();
      } catch (RuntimeException | ServiceConfigurationError | LinkageError e) {
        problems.add(
            new PluginProblem(
                source,
                "engine provider " + f.provider().type().getName() + " failed to start: " + e));
        continue;
      }
      String versionProblem = spiVersionProblem(provider, d, where);
      if (versionProblem != null) {
        problems.add(new PluginProblem(source, versionProblem));
        continue;
      }
      EngineInfo existing = found.get(d.id());
      if (existing != null) {
        problems.add(
            new PluginProblem(
                source,
                "engine id '"
                    + d.id()
                    + "' from "
                    + where
                    + " is already provided by "
                    + existing.module()
                    + " ("
                    + existing.source()
                    + "); this one is ignored"));
        continue;
      }
      found.put(d.id(), new EngineInfo(d, provider, where, source));
    }
    return new EngineRegistry(found, problems, null);
  }

  /** Why a provider built for another SPI version is refused, or null if its version is this host's. */
  static String spiVersionProblem(WasmEngineProvider provider, EngineDescriptor d, String where) {
    if (provider.spiVersion() == WasmEngineProvider.SPI_VERSION) {
      return null;
    }
    return "engine '"
        + d.id()
        + "' ("
        + where
        + ") was built for engine SPI version "
        + provider.spiVersion()
        + " but this host supports version "
        + WasmEngineProvider.SPI_VERSION
        + "; rebuild the plugin against this Plasm";
  }

  /** Every usable engine, ordered by id. */
  public List<EngineInfo> engines() {
    return engines.values().stream()
        .sorted(Comparator.comparing(e -> e.descriptor().id()))
        .toList();
  }

  /** Engine providers that were refused, each with the reason (plugins that could not be layered: {@link Plugins#problems()}). */
  public List<PluginProblem> problems() {
    return problems;
  }

  public Optional<EngineInfo> find(String id) {
    return Optional.ofNullable(engines.get(id));
  }

  /**
   * The engine with that id.
   *
   * @throws ConfigurationException naming the field {@code engine} and listing the known ids (the
   *     message does not repeat the field's name: each edge names it its own way)
   */
  public EngineInfo require(String id) {
    String wanted = id == null ? AUTO : id;
    EngineInfo info = engines.get(wanted);
    if (info == null) {
      String known =
          engines.isEmpty()
              ? "none are installed"
              : "known engines: "
                  + String.join(
                      ", ", engines.keySet().stream().sorted().collect(Collectors.toList()));
      throw new ConfigurationException(
          "engine", "no engine '" + wanted + "'; " + known + " (see 'plasm engines')");
    }
    return info;
  }

  /**
   * The engine for a job: the one named, or for {@code auto} (and null) the best engine that can
   * honour what the job needs. The rule, documented in docs/cli.md:
   *
   * <ol>
   *   <li>only engines that can do what the job asks: meter fuel when {@code --fuel} is set, give
   *       deterministic WASI when the job is deterministic;
   *   <li>then by execution mode: native first; then, for modules under {@value
   *       #SMALL_MODULE_BYTES} bytes, the interpreter before the JVM-bytecode compiler (compiling
   *       costs more than a short program runs), and the compiler first for larger modules;
   *   <li>then by id.
   * </ol>
   *
   * @throws ConfigurationException when the id is unknown or no engine can run the job
   */
  public EngineInfo choose(
      String id, boolean needsFuel, boolean needsDeterminism, int moduleBytes) {
    if (id != null && !id.equals(AUTO)) {
      return require(id);
    }
    List<EngineInfo> candidates = new ArrayList<>();
    for (EngineInfo e : engines()) {
      EngineDescriptor d = e.descriptor();
      if ((!needsFuel || d.enforces(dev.plasm.api.Limit.FUEL))
          && (!needsDeterminism || d.has(dev.plasm.engine.spi.Capability.DETERMINISTIC_WASI))) {
        candidates.add(e);
      }
    }
    if (candidates.isEmpty()) {
      String need =
          needsFuel && needsDeterminism
              ? "fuel metering and deterministic WASI"
              : needsFuel ? "fuel metering" : needsDeterminism ? "deterministic WASI" : "anything";
      throw new ConfigurationException(
          "engine", "auto: no installed engine offers " + need + " (see 'plasm engines')");
    }
    boolean small = moduleBytes < SMALL_MODULE_BYTES;
    candidates.sort(
        Comparator.comparingInt((EngineInfo e) -> rank(e.descriptor().mode(), small))
            .thenComparing(e -> e.descriptor().id()));
    return candidates.get(0);
  }

  private static int rank(dev.plasm.engine.spi.ExecutionMode mode, boolean small) {
    return switch (mode) {
      case NATIVE -> 0;
      case INTERPRETER -> small ? 1 : 2;
      case JVM_BYTECODE -> small ? 2 : 1;
    };
  }

  /** The shared engine instance for an id, created on first use. */
  public WasmEngine engine(String id) {
    EngineInfo info = require(id);
    return created.computeIfAbsent(
        info.descriptor().id(), k -> info.provider().create(environment(k)));
  }
}
