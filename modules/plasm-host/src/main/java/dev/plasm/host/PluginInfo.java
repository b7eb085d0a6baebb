package dev.plasm.host;

import java.util.List;
import java.util.Objects;

/**
 * A plugin loaded from a plugin directory into its own module layer.
 *
 * @param source the plugin's jar or directory
 * @param modules the modules of its layer
 * @param engines the engine ids it registered (refused duplicates are not listed)
 */
public record PluginInfo(String source, List<String> modules, List<String> engines) {
  public PluginInfo {
    Objects.requireNonNull(source, "source");
    modules = List.copyOf(modules);
    engines = List.copyOf(engines);
  }
}
