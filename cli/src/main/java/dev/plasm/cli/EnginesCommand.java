package dev.plasm.cli;

import dev.plasm.api.Limit;
import dev.plasm.engine.spi.EngineDescriptor;
import dev.plasm.host.EngineInfo;
import dev.plasm.host.EngineRegistry;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code plasm engines}: lists the installed engines and what they enforce. */
@Command(
    name = "engines",
    header = "List the installed WebAssembly engines and their capabilities.",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "",
      "ENFORCES lists the limits the engine enforces itself; Plasm enforces the module size, output",
      "and wall-clock limits around every engine, and refuses --fuel on engines that cannot meter.",
      ""
    })
final class EnginesCommand implements Callable<Integer> {
  @CommandLine.ParentCommand Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(names = "--json", description = "Print the list as JSON.")
  boolean json;

  @Override
  public Integer call() {
    EngineRegistry registry = main.registry();
    PrintWriter out = spec.commandLine().getOut();
    List<EngineInfo> engines = registry.engines();
    if (json) {
      out.println(JsonOutput.engines(engines, EngineRegistry.AUTO, registry.problems()));
      out.flush();
      return ExitCodes.OK;
    }
    if (engines.isEmpty()) {
      out.println("No engines are installed. Put an engine plugin jar in a plugin directory (see --plugin-dir).");
      out.flush();
      return ExitCodes.OK;
    }
    String fmt = "%-20s %-9s %-13s %-30s %s%n";
    out.printf(fmt, "ID", "VERSION", "MODE", "ENFORCES", "SOURCE");
    for (EngineInfo info : engines) {
      EngineDescriptor d = info.descriptor();
      String enforced =
          Arrays.stream(Limit.values()).filter(d::enforces).map(Limit::id).collect(Collectors.joining(","));
      String id = d.id();
      out.printf(fmt, id, d.version(), d.mode().id(), enforced.isEmpty() ? "-" : enforced, info.module() + " (" + info.source() + ")");
    }
    out.println();
    out.println("--engine auto (the default) picks, among the engines that can meter fuel when --fuel is");
    out.println("given and give deterministic WASI when --deterministic is: a native engine first; then, for");
    out.println("modules under 256KiB, the interpreter before the JVM-bytecode compiler, and the compiler first");
    out.println("for larger modules.");
    out.flush();
    return ExitCodes.OK;
  }
}
