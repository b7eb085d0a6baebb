package dev.plasm.cli;

import dev.plasm.host.PluginInfo;
import dev.plasm.host.PluginProblem;
import dev.plasm.host.Plugins;
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
      "own module layer; it may provide engines, transports and receipt schemes. A plugin that",
      "cannot load is listed with the reason; the others still load.",
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
    Plugins plugins = main.plugins();
    List<PluginInfo> loaded = plugins.plugins();
    List<PluginProblem> problems = plugins.problems();
    List<String> dirs = main.pluginDirectories().stream().map(Path::toString).toList();
    PrintWriter out = spec.commandLine().getOut();
    if (json) {
      out.println(JsonOutput.plugins(loaded, dirs, problems));
      out.flush();
      return ExitCodes.OK;
    }
    out.println("Plugin directories (searched in order):");
    for (String d : dirs) {
      out.println("  " + d + (java.nio.file.Files.isDirectory(Path.of(d)) ? "" : "  (does not exist)"));
    }
    out.println();
    if (loaded.isEmpty()) {
      out.println("No plugins loaded.");
    }
    for (PluginInfo p : loaded) {
      out.println(p.source());
      out.println("  modules: " + String.join(", ", p.modules()));
      out.println("  engines: " + (p.engines().isEmpty() ? "(none)" : String.join(", ", p.engines())));
      if (!p.transports().isEmpty()) {
        out.println("  transports: " + String.join(", ", p.transports()));
      }
      if (!p.receiptSchemes().isEmpty()) {
        out.println("  receipt schemes: " + String.join(", ", p.receiptSchemes()));
      }
    }
    if (!problems.isEmpty()) {
      out.println();
      out.println("Problems:");
      problems.forEach(pp -> out.println("  " + pp.source() + ": " + pp.message()));
    }
    out.flush();
    return ExitCodes.OK;
  }
}
