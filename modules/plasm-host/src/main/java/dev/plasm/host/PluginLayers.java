package dev.plasm.host;

import java.io.IOException;
import java.lang.module.Configuration;
import java.lang.module.FindException;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.lang.module.ResolutionException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Loads plugins from a directory, each into its own module layer on top of the boot layer.
 *
 * <p>An entry of the directory is one plugin: either a modular jar that needs only modules of the
 * boot layer, or a directory holding the plugin's jar together with the library jars it brings.
 * Each plugin resolves on its own, so one that cannot resolve (a missing module, a split package)
 * is reported by name and the others still load.
 */
final class PluginLayers {

  record Plugin(Path source, ModuleLayer layer) {}

  private PluginLayers() {}

  static List<Plugin> load(Path dir, List<PluginProblem> problems) {
    List<Plugin> plugins = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return plugins;
    }
    List<Path> entries = new ArrayList<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        if (Files.isDirectory(p) || name.endsWith(".jar")) {
          entries.add(p);
        }
      }
    } catch (IOException e) {
      problems.add(
          new PluginProblem(dir.toString(), "cannot list the plugin directory: " + e.getMessage()));
      return plugins;
    }
    entries.sort(null);
    for (Path entry : entries) {
      try {
        plugins.add(new Plugin(entry, define(entry)));
      } catch (FindException
          | ResolutionException
          | LayerInstantiationException
          | IllegalArgumentException e) {
        problems.add(new PluginProblem(entry.toString(), "plugin not loaded: " + e.getMessage()));
      } catch (SecurityException | IllegalStateException e) {
        problems.add(new PluginProblem(entry.toString(), "plugin not loaded: " + e));
      }
    }
    return plugins;
  }

  private static ModuleLayer define(Path entry) {
    ModuleFinder finder = ModuleFinder.of(entry);
    Set<String> roots =
        finder.findAll().stream()
            .map(ModuleReference::descriptor)
            .map(d -> d.name())
            .collect(Collectors.toSet());
    if (roots.isEmpty()) {
      throw new IllegalArgumentException("no module found in " + entry);
    }
    ModuleLayer boot = ModuleLayer.boot();
    Configuration cf = boot.configuration().resolveAndBind(finder, ModuleFinder.of(), roots);
    return boot.defineModulesWithOneLoader(cf, ClassLoader.getSystemClassLoader());
  }
}
