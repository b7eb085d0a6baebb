package dev.plasm.cli;

import dev.plasm.host.EngineRegistry;
import dev.plasm.host.PluginInfo;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code plasm plugins}: the plugin directories and what loaded from them. */
@Command(
    name = "plugins",
    header = "List the plugin directories, the plugins loaded from them, and any that failed.",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "",
      "Each jar in a plugin directory, or each sub-directory of jars, is one plugin, loaded into its",
      "own module layer. A plugin that cannot load is listed with the reason; the others still load.",
      "Engines linked into the runtime image are listed by 'plasm engines' (source: boot).",
      ""
    })
final class PluginsCommand implements Callable<Integer> {
  @CommandLine.ParentCommand Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--json", description = "Print JSON.")
  boolean json;

  @Override
  public Integer call() {
    EngineRegistry registry = main.registry();
    List<String> dirs = main.pluginDirectories().stream().map(Path::toString).toList();
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(JsonOutput.plugins(registry.plugins(), dirs, registry.problems()));
      out.flush();
      return ExitCodes.OK;
    }
    out.println("Plugin directories (searched in order):");
    for (String d : dirs) {
      out.println("  " + d + (java.nio.file.Files.isDirectory(Path.of(d)) ? "" : "  (does not exist)"));
    }
    out.println();
    if (registry.plugins().isEmpty()) {
      out.println("No plugins loaded.");
    }
    for (PluginInfo p : registry.plugins()) {
      out.println(p.source());
      out.println("  modules: " + String.join(", ", p.modules()));
      out.println("  engines: " + (p.engines().isEmpty() ? "(none)" : String.join(", ", p.engines())));
    }
    if (!registry.problems().isEmpty()) {
      out.println();
      out.println("Problems:");
      registry.problems().forEach(pp -> out.println("  " + pp.source() + ": " + pp.message()));
    }
    out.flush();
    return ExitCodes.OK;
  }
}
