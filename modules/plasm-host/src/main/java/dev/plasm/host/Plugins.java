package dev.plasm.host;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;

/**
 * Every plugin this process found, loaded once: the boot layer (what is linked into the image or on
 * the module path) and each entry of each plugin directory in its own module layer. Engines,
 * transports and receipt schemes are all served from these layers ({@link #engines()},
 * {@link #transports()}, {@link #receiptSchemes()}), so a process that needs several kinds layers
 * each directory once.
 *
 * <p>An entry that cannot be layered, and a provider that cannot be loaded, is reported in {@link
 * #problems()} (the registries add their own, e.g. an id taken twice); everything else stays usable.
 */
public final class Plugins {
  /** The source named for providers of the boot layer. */
  public static final String BOOT = "boot";

  /** The directory under the image, and under a node's or user's home, that holds plugins. */
  public static final String DIRECTORY = "plugins";

  private final List<PluginLayers.Plugin> layers;
  private final List<PluginProblem> layerProblems;
  private final Lazy<EngineRegistry> engines = new Lazy<>(() -> EngineRegistry.from(this));
  private final Lazy<TransportRegistry> transports = new Lazy<>(() -> TransportRegistry.from(this));
  private final Lazy<ReceiptSchemes> receiptSchemes = new Lazy<>(() -> ReceiptSchemes.from(this));

  private Plugins(List<PluginLayers.Plugin> layers, List<PluginProblem> problems) {
    this.layers = List.copyOf(layers);
    this.layerProblems = List.copyOf(problems);
  }

  /** The boot layer only: no plugin directory is read. */
  public static Plugins boot() {
    return load(List.of());
  }

  /** The boot layer, then each plugin directory in order; a directory that does not exist is skipped. */
  public static Plugins load(List<Path> directories) {
    List<PluginLayers.Plugin> layers = new ArrayList<>();
    List<PluginProblem> problems = new ArrayList<>();
    for (Path dir : directories) {
      layers.addAll(PluginLayers.load(dir, problems));
    }
    return new Plugins(layers, problems);
  }

  /**
   * The plugin directories a process searches: those configured (in order, and only those), else
   * the {@linkplain #defaultDirectories defaults} for {@code home}. The one rule the daemon, its
   * worker processes and the CLI share.
   *
   * @param configured the directories given ({@code engines.plugin-dirs}, {@code --plugin-dir}),
   *     empty when none were
   * @param home the daemon's state directory, or {@code $PLASM_HOME} for the CLI
   */
  public static List<Path> directories(List<Path> configured, Path home) {
    return configured.isEmpty() ? defaultDirectories(home) : List.copyOf(configured);
  }

  /**
   * The plugin directories searched when none are configured: the image's {@code plugins/} when
   * this process runs from an image (its launcher sets the {@code plasm.image} system property),
   * then {@code home/plugins} ({@code home} being the daemon's state directory, or {@code
   * $PLASM_HOME} for the CLI).
   */
  public static List<Path> defaultDirectories(Path home) {
    List<Path> dirs = new ArrayList<>();
    String image = System.getProperty("plasm.image");
    if (image != null && !image.isBlank()) {
      dirs.add(Path.of(image, DIRECTORY));
    }
    dirs.add(home.resolve(DIRECTORY));
    return List.copyOf(dirs);
  }

  /** The engines of the boot layer and of every plugin. */
  public EngineRegistry engines() {
    return engines.get();
  }

  /** The peer-to-peer transports of the boot layer and of every plugin. */
  public TransportRegistry transports() {
    return transports.get();
  }

  /** The receipt signature schemes of the boot layer and of every plugin. */
  public ReceiptSchemes receiptSchemes() {
    return receiptSchemes.get();
  }

  /** A value made on first use, once (providers are instantiated only for the kinds a process asks for). */
  private static final class Lazy<T> {
    private final java.util.function.Supplier<T> make;
    private volatile T value;

    Lazy(java.util.function.Supplier<T> make) {
      this.make = make;
    }

    T get() {
      T v = value;
      if (v == null) {
        synchronized (this) {
          if (value == null) {
            value = make.get();
          }
          v = value;
        }
      }
      return v;
    }
  }

  /** The plugins loaded from plugin directories (not the boot layer), with what each provides. */
  public List<PluginInfo> plugins() {
    EngineRegistry e = engines();
    TransportRegistry t = transports();
    ReceiptSchemes r = receiptSchemes();
    List<PluginInfo> out = new ArrayList<>();
    for (PluginLayers.Plugin p : layers) {
      String source = p.source().toString();
      out.add(
          new PluginInfo(
              source,
              p.layer().modules().stream().map(Module::getName).sorted().toList(),
              e.engines().stream()
                  .filter(x -> x.source().equals(source))
                  .map(x -> x.descriptor().id())
                  .toList(),
              t.transports().stream()
                  .filter(x -> x.source().equals(source))
                  .map(x -> x.descriptor().id())
                  .toList(),
              r.ids(source)));
    }
    return out;
  }

  /** Plugin entries that could not be layered (a missing module, a split package), each with the reason. */
  public List<PluginProblem> layerProblems() {
    return layerProblems;
  }

  /** Plugin entries that could not be layered, and providers of any kind that were refused, each with the reason. */
  public List<PluginProblem> problems() {
    List<PluginProblem> all = new ArrayList<>(layerProblems);
    all.addAll(engines().problems());
    all.addAll(transports().problems());
    all.addAll(receiptSchemes().problems());
    return all;
  }

  /** One provider found, with the plugin (or {@link #BOOT}) it came from. */
  record Found<S>(ServiceLoader.Provider<S> provider, String source) {
    /** Where the provider's class lives: its module's name, or its class name when it is not in a named module. */
    String where() {
      Module m = provider.type().getModule();
      return m.isNamed() ? m.getName() : provider.type().getName();
    }
  }

  /**
   * The providers of a service: the boot layer's first, then each plugin's own (a plugin's layer
   * also sees its parents' providers; those are not repeated). A provider class that cannot be
   * loaded is reported in {@code problems} under {@code kind}.
   */
  <S> List<Found<S>> providers(Class<S> service, String kind, List<PluginProblem> problems) {
    List<Found<S>> out = new ArrayList<>();
    collect(
        ServiceLoader.load(service, Plugins.class.getClassLoader()),
        BOOT,
        null,
        kind,
        out,
        problems);
    for (PluginLayers.Plugin p : layers) {
      collect(
          ServiceLoader.load(p.layer(), service),
          p.source().toString(),
          p.layer(),
          kind,
          out,
          problems);
    }
    return out;
  }

  private static <S> void collect(
      ServiceLoader<S> loader,
      String source,
      ModuleLayer only,
      String kind,
      List<Found<S>> out,
      List<PluginProblem> problems) {
    var it = loader.stream().iterator();
    while (true) {
      ServiceLoader.Provider<S> p;
      try {
        if (!it.hasNext()) {
          return;
        }
        p = it.next();
      } catch (ServiceConfigurationError e) {
        problems.add(
            new PluginProblem(
                source, "a " + kind + " provider could not be loaded: " + e.getMessage()));
        continue;
      }
      if (only != null && p.type().getModule().getLayer() != only) {
        continue;
      }
      out.add(new Found<>(p, source));
    }
  }
}
