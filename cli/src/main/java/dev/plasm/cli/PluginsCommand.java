package dev.plasm.cli;

import dev.plasm.cli.term.Table;
import dev.plasm.host.PluginInfo;
import dev.plasm.host.PluginProblem;
import dev.plasm.host.Plugins;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;

/** {@code plasm plugins}: the plugin directories and what loaded from them. */
final class PluginsCommand implements Callable<Integer> {
  private CommandSpec spec;

  /** The command's model, in code (see {@link Specs}). */
  static CommandSpec spec() {
    PluginsCommand c = new PluginsCommand();
    c.spec =
        Specs.command(
            c,
            "plugins",
            "List the plugin directories, the plugins loaded from them, and any that failed.");
    c.spec
        .usageMessage()
        .description(
            "",
            "Each jar in a plugin directory, or each sub-directory of jars, is one plugin, loaded into its own module layer; it may provide engines, transports and receipt schemes. A plugin that cannot load is listed with the reason; the others still load. Engines linked into the runtime image are listed by 'plasm engines' (source: boot). --quiet prints the plugins' paths only.",
            "")
        .footer(
            "", "Examples:", "  plasm plugins", "  plasm --plugin-dir ./my-plugins plugins --json");
    OutputOptions.addTo(c.spec);
    return c.spec;
  }

  /** The table, made when used (building the command tree links none of its lambdas). */
  static Table<PluginInfo> table() {
    return Table.<PluginInfo>of()
        .column("PLUGIN", PluginInfo::source)
        .shrink()
        .column("MODULES", p -> String.join(", ", p.modules()))
        .shrink()
        .column("ENGINES", p -> String.join(", ", p.engines()))
        .optional("TRANSPORTS", p -> String.join(", ", p.transports()))
        .optional("RECEIPT SCHEMES", p -> String.join(", ", p.receiptSchemes()));
  }

  @Override
  public Integer call() {
    Main main = (Main) spec.parent().userObject();
    OutputOptions output = OutputOptions.of(spec);
    Plugins plugins = main.plugins();
    List<PluginInfo> loaded = plugins.plugins();
    List<PluginProblem> problems = plugins.problems();
    List<String> dirs = main.pluginDirectories().stream().map(Path::toString).toList();
    Printer p = new Printer(spec, main.streams);
    PrintWriter out = p.out();
    if (output.json) {
      out.println(JsonOutput.plugins(loaded, dirs, problems));
      out.flush();
      return ExitCodes.OK;
    }
    if (output.quiet) {
      p.table(table(), loaded, true);
      return ExitCodes.OK;
    }
    out.println(p.out.bold("Plugin directories (searched in order):"));
    for (String d : dirs) {
      out.println(
          "  "
              + d
              + (java.nio.file.Files.isDirectory(Path.of(d))
                  ? ""
                  : p.out.dim("  (does not exist)")));
    }
    out.println();
    if (loaded.isEmpty()) {
      out.println("No plugins loaded.");
    } else {
      p.table(table(), loaded, false);
    }
    if (!problems.isEmpty()) {
      out.println();
      out.println(p.out.bold("Problems:"));
      problems.forEach(pp -> out.println("  " + pp.source() + ": " + p.out.red(pp.message())));
    }
    out.flush();
    return ExitCodes.OK;
  }
}
