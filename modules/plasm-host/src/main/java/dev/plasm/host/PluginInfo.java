package dev.plasm.host;

import java.util.List;
import java.util.Objects;

/**
 * A plugin loaded from a plugin directory into its own module layer, and what it provides.
 *
 * @param source the plugin's jar or directory
 * @param modules the modules of its layer
 * @param engines the engine ids it registered (refused duplicates are not listed)
 * @param transports the transport ids it registered
 * @param receiptSchemes the receipt scheme ids it registered
 */
public record PluginInfo(
    String source,
    List<String> modules,
    List<String> engines,
    List<String> transports,
    List<String> receiptSchemes) {
  public PluginInfo {
    Objects.requireNonNull(source, "source");
    modules = List.copyOf(modules);
    engines = List.copyOf(engines);
    transports = List.copyOf(transports);
    receiptSchemes = List.copyOf(receiptSchemes);
  }
}
