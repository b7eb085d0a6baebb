package dev.plasm.host;

import dev.plasm.transport.spi.TransportDescriptor;
import dev.plasm.transport.spi.TransportProvider;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * The peer-to-peer transports this process can start: those in the boot layer and those in plugin
 * directories, found exactly as {@link EngineRegistry} finds engines.
 *
 * <p>A provider that cannot be constructed, describes itself badly, targets another SPI version or
 * reuses an id already taken is not registered; it is reported in {@link #problems()}.
 */
public final class TransportRegistry {
  /** A usable transport provider and where it came from. */
  public record Entry(TransportDescriptor descriptor, TransportProvider provider, String module, String source) {}

  private final Map<String, Entry> transports;
  private final List<PluginProblem> problems;

  private TransportRegistry(Map<String, Entry> transports, List<PluginProblem> problems) {
    this.transports = Map.copyOf(transports);
    this.problems = List.copyOf(problems);
  }

  /** Discovers transports in the boot layer, then in each plugin directory in order. */
  public static TransportRegistry discover(List<Path> pluginDirectories) {
    Map<String, Entry> found = new LinkedHashMap<>();
    List<PluginProblem> problems = new ArrayList<>();
    ServiceLoader<TransportProvider> boot =
        ServiceLoader.load(TransportProvider.class, TransportRegistry.class.getClassLoader());
    register(boot.stream().iterator(), "boot", found, problems, null);
    for (Path dir : pluginDirectories) {
      for (PluginLayers.Plugin plugin : PluginLayers.load(dir, problems)) {
        register(ServiceLoader.load(plugin.layer(), TransportProvider.class).stream().iterator(),
            plugin.source().toString(), found, problems, plugin.layer());
      }
    }
    return new TransportRegistry(found, problems);
  }

  private static void register(Iterator<ServiceLoader.Provider<TransportProvider>> it, String source,
      Map<String, Entry> found, List<PluginProblem> problems, ModuleLayer onlyLayer) {
    while (true) {
      ServiceLoader.Provider<TransportProvider> p;
      try {
        if (!it.hasNext()) {
          return;
        }
        p = it.next();
      } catch (ServiceConfigurationError e) {
        problems.add(new PluginProblem(source, "a transport provider could not be loaded: " + e.getMessage()));
        continue;
      }
      // A plugin layer also sees its parents' providers; those were registered already.
      if (onlyLayer != null && p.type().getModule().getLayer() != onlyLayer) {
        continue;
      }
      String where = p.type().getModule().isNamed() ? p.type().getModule().getName() : p.type().getName();
      TransportProvider provider;
      TransportDescriptor d;
      try {
        provider = p.get();
        d = provider.descriptor();
      } catch (RuntimeException | ServiceConfigurationError | LinkageError e) {
        problems.add(new PluginProblem(source, "transport provider " + p.type().getName() + " failed to start: " + e));
        continue;
      }
      if (provider.spiVersion() != TransportProvider.SPI_VERSION) {
        problems.add(new PluginProblem(source, "transport '" + d.id() + "' (" + where + ") was built for transport SPI version "
            + provider.spiVersion() + " but this host supports version " + TransportProvider.SPI_VERSION
            + "; rebuild the plugin against this Plasm"));
        continue;
      }
      Entry existing = found.get(d.id());
      if (existing != null) {
        problems.add(new PluginProblem(source, "transport id '" + d.id() + "' from " + where + " is already provided by "
            + existing.module() + " (" + existing.source() + "); this one is ignored"));
        continue;
      }
      found.put(d.id(), new Entry(d, provider, where, source));
    }
  }

  /** Every usable transport, ordered by id. */
  public List<Entry> transports() {
    return transports.values().stream().sorted(java.util.Comparator.comparing(e -> e.descriptor().id())).toList();
  }

  public Optional<Entry> find(String id) {
    return Optional.ofNullable(transports.get(id));
  }

  /** Providers or plugins that were refused, each with the reason. */
  public List<PluginProblem> problems() {
    return problems;
  }
}
