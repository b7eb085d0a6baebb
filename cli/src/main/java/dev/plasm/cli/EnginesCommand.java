package dev.plasm.cli;

import dev.plasm.api.Limit;
import dev.plasm.cli.term.Table;
import dev.plasm.engine.spi.EngineDescriptor;
import dev.plasm.host.EngineInfo;
import dev.plasm.host.EngineRegistry;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine.Model.CommandSpec;

/** {@code plasm engines}: lists the installed engines and what they enforce. */
final class EnginesCommand implements Callable<Integer> {
  private CommandSpec spec;

  /** The command's model, in code (see {@link Specs}). */
  static CommandSpec spec() {
    EnginesCommand c = new EnginesCommand();
    c.spec =
        Specs.command(
            c, "engines", "List the installed WebAssembly engines and their capabilities.");
    c.spec
        .usageMessage()
        .description(
            "",
            "ENFORCES lists the limits the engine enforces itself; Plasm enforces the module size, output and wall-clock limits around every engine, and refuses --fuel on engines that cannot meter.",
            "",
            "--engine auto (the default of run and submit) picks, among the engines that can meter fuel when --fuel is given and give deterministic WASI when --deterministic is: a native engine first; then, for modules under 256KiB, the interpreter before the JVM-bytecode compiler, and the compiler first for larger modules.",
            "")
        .footer("", "Examples:", "  plasm engines", "  plasm engines --json", "  plasm engines -q");
    OutputOptions.addTo(c.spec);
    return c.spec;
  }

  /** The table, made when used (building the command tree links none of its lambdas). */
  static Table<EngineInfo> table() {
    return Table.<EngineInfo>of()
        .column("ID", e -> e.descriptor().id())
        .column("VERSION", e -> e.descriptor().version())
        .column("MODE", e -> e.descriptor().mode().id())
        .column(
            "ENFORCES",
            e ->
                Arrays.stream(Limit.values())
                    .filter(e.descriptor()::enforces)
                    .map(Limit::id)
                    .collect(Collectors.joining(",")))
        .column("SOURCE", e -> e.module() + " (" + e.source() + ")")
        .shrink();
  }

  @Override
  public Integer call() {
    Main main = (Main) spec.parent().userObject();
    OutputOptions output = OutputOptions.of(spec);
    EngineRegistry registry = main.registry();
    Printer p = new Printer(spec, main.streams);
    PrintWriter out = p.out();
    List<EngineInfo> engines = registry.engines();
    if (output.json) {
      out.println(JsonOutput.engines(engines, EngineRegistry.AUTO, registry.problems()));
      out.flush();
      return ExitCodes.OK;
    }
    if (engines.isEmpty()) {
      if (!output.quiet) {
        out.println(
            "No engines are installed. Put an engine plugin jar in a plugin directory (see --plugin-dir).");
        out.flush();
      }
      return ExitCodes.OK;
    }
    p.table(table(), engines, output.quiet);
    if (!output.quiet) {
      out.println();
      out.println(
          p.out.dim(
              "--engine auto (the default) picks one of these for each job; 'plasm engines --help' says how."));
      out.flush();
    }
    return ExitCodes.OK;
  }

  /** Ids of the engines, for completion. */
  static List<String> ids(EngineRegistry registry) {
    return registry.engines().stream()
        .map(EngineInfo::descriptor)
        .map(EngineDescriptor::id)
        .toList();
  }
}
