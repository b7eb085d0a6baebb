package dev.plasm.host;

import dev.plasm.transport.spi.TransportDescriptor;
import dev.plasm.transport.spi.TransportProvider;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;

/**
 * The peer-to-peer transports this process can start: those in the boot layer and those of the
 * plugins loaded from plugin directories ({@link Plugins}).
 *
 * <p>A provider that cannot be constructed, describes itself badly, targets another SPI version or
 * reuses an id already taken is not registered; it is reported in {@link #problems()}.
 */
public final class TransportRegistry {
  /** A usable transport provider and where it came from. */
  public record Entry(
      TransportDescriptor descriptor, TransportProvider provider, String module, String source) {}

  private final Map<String, Entry> transports;
  private final List<PluginProblem> problems;

  private TransportRegistry(Map<String, Entry> transports, List<PluginProblem> problems) {
    this.transports = Map.copyOf(transports);
    this.problems = List.copyOf(problems);
  }

  /** The transports {@code plugins} provide; see {@link Plugins#transports()}. */
  static TransportRegistry from(Plugins plugins) {
    Map<String, Entry> found = new LinkedHashMap<>();
    List<PluginProblem> problems = new ArrayList<>();
    for (Plugins.Found<TransportProvider> f :
        plugins.providers(TransportProvider.class, "transport", problems)) {
      String source = f.source();
      String where = f.where();
      TransportProvider provider;
      TransportDescriptor d;
      try {
        provider = f.provider().get();
        d = provider.descriptor();
      } catch (RuntimeException | ServiceConfigurationError | LinkageError e) {
        problems.add(
            new PluginProblem(
                source,
                "transport provider " + f.provider().type().getName() + " failed to start: " + e));
        continue;
      }
      if (provider.spiVersion() != TransportProvider.SPI_VERSION) {
        problems.add(
            new PluginProblem(
                source,
                "transport '"
                    + d.id()
                    + "' ("
                    + where
                    + ") was built for transport SPI version "
                    + provider.spiVersion()
                    + " but this host supports version "
                    + TransportProvider.SPI_VERSION
                    + "; rebuild the plugin against this Plasm"));
        continue;
      }
      Entry existing = found.get(d.id());
      if (existing != null) {
        problems.add(
            new PluginProblem(
                source,
                "transport id '"
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
      found.put(d.id(), new Entry(d, provider, where, source));
    }
    return new TransportRegistry(found, problems);
  }

  /** Every usable transport, ordered by id. */
  public List<Entry> transports() {
    return transports.values().stream()
        .sorted(java.util.Comparator.comparing(e -> e.descriptor().id()))
        .toList();
  }

  public Optional<Entry> find(String id) {
    return Optional.ofNullable(transports.get(id));
  }

  /** Transport providers that were refused, each with the reason. */
  public List<PluginProblem> problems() {
    return problems;
  }
}
