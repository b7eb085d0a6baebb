package dev.plasm.host;

import dev.plasm.api.ConfigurationException;
import dev.plasm.engine.spi.EngineDescriptor;
import dev.plasm.engine.spi.WasmEngine;
import dev.plasm.engine.spi.WasmEngineProvider;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Collectors;

/**
 * The engines this process can use: those in the boot layer (linked into the image or on the
 * module path) and those loaded from plugin directories.
 *
 * <p>A provider that cannot be constructed, describes itself badly, targets another SPI version or
 * reuses an id already taken is not registered; it is reported in {@link #problems()} and every
 * other engine stays usable.
 */
public final class EngineRegistry {

  /** The engine {@code plasm run} uses when none is named. */
  public static final String DEFAULT_ENGINE = "chicory-interpreter";

  private final Map<String, EngineInfo> engines;
  private final List<PluginProblem> problems;
  private final Map<String, WasmEngine> created = new ConcurrentHashMap<>();

  private EngineRegistry(Map<String, EngineInfo> engines, List<PluginProblem> problems) {
    this.engines = Collections.unmodifiableMap(engines);
    this.problems = List.copyOf(problems);
  }

  /** Discovers engines in the boot layer only. */
  public static EngineRegistry discover() {
    return discover(List.of());
  }

  /**
   * Discovers engines in the boot layer, then in each plugin directory in order; directories that
   * do not exist are skipped.
   */
  public static EngineRegistry discover(List<Path> pluginDirectories) {
    Map<String, EngineInfo> found = new LinkedHashMap<>();
    List<PluginProblem> problems = new ArrayList<>();
    ServiceLoader<WasmEngineProvider> boot =
        ServiceLoader.load(WasmEngineProvider.class, EngineRegistry.class.getClassLoader());
    register(boot.stream().iterator(), "boot", found, problems, null);
    for (Path dir : pluginDirectories) {
      for (PluginLayers.Plugin plugin : PluginLayers.load(dir, problems)) {
        ServiceLoader<WasmEngineProvider> loader = ServiceLoader.load(plugin.layer(), WasmEngineProvider.class);
        register(loader.stream().iterator(), plugin.source().toString(), found, problems, plugin.layer());
      }
    }
    return new EngineRegistry(found, problems);
  }

  private static void register(
      java.util.Iterator<ServiceLoader.Provider<WasmEngineProvider>> it,
      String source,
      Map<String, EngineInfo> found,
      List<PluginProblem> problems,
      ModuleLayer onlyLayer) {
    while (true) {
      ServiceLoader.Provider<WasmEngineProvider> p;
      try {
        if (!it.hasNext()) {
          return;
        }
        p = it.next();
      } catch (ServiceConfigurationError e) {
        problems.add(new PluginProblem(source, "an engine provider could not be loaded: " + e.getMessage()));
        continue;
      }
      // A plugin layer also sees the providers of its parents; those were registered already.
      if (onlyLayer != null && p.type().getModule().getLayer() != onlyLayer) {
        continue;
      }
      String where = p.type().getModule().isNamed() ? p.type().getModule().getName() : p.type().getName();
      WasmEngineProvider provider;
      EngineDescriptor d;
      try {
        provider = p.get();
        d = provider.descriptor();
      } catch (RuntimeException | ServiceConfigurationError | LinkageError e) {
        problems.add(new PluginProblem(source, "engine provider " + p.type().getName() + " failed to start: " + e));
        continue;
      }
      if (provider.spiVersion() != WasmEngineProvider.SPI_VERSION) {
        problems.add(
            new PluginProblem(
                source,
                "engine '" + d.id() + "' (" + where + ") was built for engine SPI version " + provider.spiVersion()
                    + " but this host supports version " + WasmEngineProvider.SPI_VERSION + "; rebuild the plugin"));
        continue;
      }
      EngineInfo existing = found.get(d.id());
      if (existing != null) {
        problems.add(
            new PluginProblem(
                source,
                "engine id '" + d.id() + "' from " + where + " is already provided by " + existing.module()
                    + " (" + existing.source() + "); this one is ignored"));
        continue;
      }
      found.put(d.id(), new EngineInfo(d, provider, where, source));
    }
  }

  /** Every usable engine, ordered by id. */
  public List<EngineInfo> engines() {
    return engines.values().stream().sorted(Comparator.comparing(e -> e.descriptor().id())).toList();
  }

  /** Plugins or providers that were refused, each with the reason. */
  public List<PluginProblem> problems() {
    return problems;
  }

  public Optional<EngineInfo> find(String id) {
    return Optional.ofNullable(engines.get(id));
  }

  /**
   * The engine with that id, or the default engine when {@code id} is null.
   *
   * @throws ConfigurationException naming {@code --engine} and listing the known ids
   */
  public EngineInfo require(String id) {
    String wanted = id == null ? defaultEngineId() : id;
    EngineInfo info = engines.get(wanted);
    if (info == null) {
      String known = engines.isEmpty() ? "none are installed" : "known engines: " + String.join(", ", engines.keySet().stream().sorted().collect(Collectors.toList()));
      throw new ConfigurationException("--engine", "--engine: no engine '" + wanted + "'; " + known + " (see 'plasm engines')");
    }
    return info;
  }

  /** The default engine's id: {@value #DEFAULT_ENGINE} when installed, else the first id. */
  public String defaultEngineId() {
    if (engines.containsKey(DEFAULT_ENGINE) || engines.isEmpty()) {
      return DEFAULT_ENGINE;
    }
    return engines().get(0).descriptor().id();
  }

  /** The shared engine instance for an id, created on first use. */
  public WasmEngine engine(String id) {
    EngineInfo info = require(id);
    return created.computeIfAbsent(info.descriptor().id(), k -> info.provider().create());
  }
}
