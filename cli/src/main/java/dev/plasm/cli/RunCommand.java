package dev.plasm.cli;

import dev.plasm.api.ByteSize;
import dev.plasm.api.ConfigurationException;
import dev.plasm.api.Durations;
import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.Limit;
import dev.plasm.api.ResourceLimits;
import dev.plasm.api.Usage;
import dev.plasm.engine.spi.EngineDescriptor;
import dev.plasm.host.DirMapping;
import dev.plasm.host.Job;
import dev.plasm.host.Sandbox;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code plasm run}: runs one module in the sandbox on this machine. */
@Command(
    name = "run",
    header = "Run a WebAssembly module in the sandbox.",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    synopsisHeading = "%nUsage: ",
    customSynopsis = "plasm run [OPTIONS] MODULE.wasm [--] [ARGS...]",
    description = {
      "",
      "Runs MODULE.wasm (a WASI preview 1 command) with ARGS. The guest's stdin, stdout and stderr",
      "are this process's. It sees no files unless --dir grants a directory, and no network.",
      "Everything after MODULE.wasm is passed to the guest.",
      ""
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {},
    footer = {
      "",
      "Sizes take binary units (64MiB, 512KiB, 1GiB); durations take ms, s, m, h (500ms, 30s, 2m).",
      "",
      "Examples:",
      "  plasm run hello.wasm -- world",
      "  plasm run --dir ./data::/data:ro --env LANG=C tool.wasm -- /data/input.txt",
      "  plasm run --timeout 5s --max-memory 64MiB --json job.wasm",
    })
final class RunCommand implements Callable<Integer> {

  @CommandLine.ParentCommand Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Parameters(index = "0", paramLabel = "MODULE.wasm", description = "The module to run.")
  Path module;

  @Parameters(index = "1..*", paramLabel = "ARGS", description = "Arguments for the guest.")
  List<String> args = new ArrayList<>();

  @Option(
      names = "--dir",
      paramLabel = "HOST[::GUEST][:ro]",
      description = "Give the guest a host directory (repeatable), seen as GUEST (default: HOST as written); add :ro for read-only.")
  List<String> dirs = new ArrayList<>();

  @Option(names = "--dir-ro", paramLabel = "HOST[::GUEST]", description = "Like --dir, read-only (repeatable).")
  List<String> readOnlyDirs = new ArrayList<>();

  @Option(
      names = "--env",
      paramLabel = "NAME[=VALUE]",
      description = "Set an environment variable for the guest (repeatable); NAME alone passes this process's value.")
  List<String> env = new ArrayList<>();

  @Option(names = "--engine", paramLabel = "ID", description = "Engine to run on (see 'plasm engines'), or auto to pick one for the job. Default: ${DEFAULT-VALUE}.", defaultValue = "auto")
  String engine;

  @Option(names = "--max-memory", paramLabel = "SIZE", description = "Linear memory cap. Default: ${DEFAULT-VALUE}.", defaultValue = "256MiB")
  String maxMemory;

  @Option(names = "--timeout", paramLabel = "DURATION", description = "Wall-clock limit, compile included. Default: ${DEFAULT-VALUE}.", defaultValue = "60s")
  String timeout;

  @Option(names = "--fuel", paramLabel = "N", description = "Instruction budget (engines that can meter only). Default: unmetered.")
  String fuel;

  @Option(names = "--max-output", paramLabel = "SIZE", description = "Cap on stdout and, separately, stderr. Default: ${DEFAULT-VALUE}.", defaultValue = "16MiB")
  String maxOutput;

  @Option(names = "--max-module-size", paramLabel = "SIZE", description = "Largest module accepted. Default: ${DEFAULT-VALUE}.", defaultValue = "64MiB")
  String maxModuleSize;

  @Option(names = "--max-table-elements", paramLabel = "N", description = "Cap on each table's elements. Default: ${DEFAULT-VALUE}.", defaultValue = "1000000")
  String maxTableElements;

  @Option(names = "--json", description = "Print one JSON object with the outcome, exit code, output and usage instead of streaming the output.")
  boolean json;

  @Option(names = "--receipt", paramLabel = "FILE", description = "Write a signed execution receipt to FILE (also added to --json output). Signs with the node identity in $PLASM_HOME.")
  Path receiptFile;

  @Option(names = "--nonce", paramLabel = "NONCE", description = "A requester's nonce to bind into the receipt (1-128 of A-Z a-z 0-9 . _ : -).")
  String nonce;

  @Option(names = "--job-id", paramLabel = "ID", description = "The job id written into the receipt. Default: a random UUID.")
  String jobId;

  @Option(names = "--deterministic", description = "Give the guest recorded clocks and random (written into the receipt) so that the run can be re-executed and compared.")
  boolean deterministic;

  private final AtomicBoolean reported = new AtomicBoolean();

  @Override
  public Integer call() {
    List<String> guestArgs = args;
    if (!guestArgs.isEmpty() && guestArgs.get(0).equals("--")) {
      guestArgs = guestArgs.subList(1, guestArgs.size());
    }
    ResourceLimits limits;
    Map<String, String> guestEnv;
    List<DirMapping> mappings = new ArrayList<>();
    try {
      limits = limits();
      guestEnv = guestEnv();
      for (String d : dirs) {
        mappings.add(DirMapping.parse(d, false));
      }
      for (String d : readOnlyDirs) {
        mappings.add(DirMapping.parse(d, true));
      }
    } catch (ConfigurationException e) {
      return usageError(e);
    }

    String name = module.getFileName() == null ? module.toString() : module.getFileName().toString();
    byte[] bytes;
    try {
      if (Files.isDirectory(module)) {
        return noInput(module + " is a directory; give the path of a .wasm file");
      }
      long size = Files.size(module);
      if (size > limits.maxModuleBytes()) {
        ExecutionOutcome tooBig =
            new ExecutionOutcome.LimitExceeded(
                Limit.MODULE_SIZE,
                name + " is " + ByteSize.format(size) + ", over the " + ByteSize.format(limits.maxModuleBytes())
                    + " module size limit (" + Limit.MODULE_SIZE.flag() + ")",
                Usage.NONE);
        return report(name, null, limits, tooBig, null, null);
      }
      bytes = Files.readAllBytes(module);
    } catch (NoSuchFileException e) {
      return noInput(module + ": no such file");
    } catch (AccessDeniedException e) {
      return noInput(module + ": permission denied");
    } catch (IOException e) {
      return noInput(module + ": cannot read: " + e.getMessage());
    }

    ByteArrayOutputStream capturedOut = json ? new ByteArrayOutputStream() : null;
    ByteArrayOutputStream capturedErr = json ? new ByteArrayOutputStream() : null;
    OutputStream out = json ? capturedOut : main.streams.out();
    OutputStream err = json ? capturedErr : main.streams.err();

    Receipts receipts;
    try {
      receipts = receiptFile == null ? null : Receipts.prepare(main, jobId, nonce);
    } catch (ConfigurationException e) {
      return usageError(e);
    } catch (dev.plasm.identity.IdentityException e) {
      return fail("identity", "--receipt", "plasm: " + e.getMessage(), ExitCodes.USAGE);
    }
    Job job =
        new Job(name, bytes, engine, guestArgs, guestEnv, main.streams.in(), out, err, mappings, limits,
            deterministic ? Receipts.newDeterminism() : null);
    Sandbox sandbox;
    try {
      sandbox =
          new Sandbox(
              main.registry(),
              (result, guest) -> {
                // The engine did not stop: report now and end the process, the only hard stop.
                int code = finish(name, job, result, receipts, limits, capturedOut, capturedErr);
                main.halt.accept(code);
              });
      sandbox.check(job);
    } catch (ConfigurationException e) {
      return usageError(e);
    }
    dev.plasm.host.JobResult result;
    try {
      result = sandbox.execute(job);
    } catch (ConfigurationException e) {
      return usageError(e);
    }
    return finish(name, job, result, receipts, limits, capturedOut, capturedErr);
  }

  private int finish(
      String name,
      Job job,
      dev.plasm.host.JobResult result,
      Receipts receipts,
      ResourceLimits limits,
      ByteArrayOutputStream capturedOut,
      ByteArrayOutputStream capturedErr) {
    dev.plasm.receipt.spi.Receipt receipt = null;
    if (receipts != null) {
      receipt = receipts.issue(job, result);
      try {
        receipts.write(receiptFile, receipt);
      } catch (IOException e) {
        spec.commandLine().getErr().println("plasm: cannot write the receipt to " + receiptFile + ": " + e.getMessage());
        spec.commandLine().getErr().flush();
      }
    }
    this.receipt = receipt;
    return report(name, result.engine(), limits, result.outcome(), capturedOut, capturedErr);
  }

  private dev.plasm.receipt.spi.Receipt receipt;

  private int report(
      String name,
      EngineDescriptor engineDescriptor,
      ResourceLimits limits,
      ExecutionOutcome outcome,
      ByteArrayOutputStream capturedOut,
      ByteArrayOutputStream capturedErr) {
    int code = ExitCodes.of(outcome);
    if (!reported.compareAndSet(false, true)) {
      return code;
    }
    PrintWriter w = spec.commandLine().getErr();
    if (json) {
      PrintWriter o = spec.commandLine().getOut();
      o.println(JsonOutput.runResult(name, engineDescriptor, limits, outcome, code, capturedOut, capturedErr, receipt));
      o.flush();
      return code;
    }
    switch (outcome) {
      case ExecutionOutcome.Completed c when c.exitCode() != code ->
          w.println("plasm: " + name + " exited with code " + c.exitCode()
              + ", which does not fit a process exit status; exiting with " + code + " (use --json to see it)");
      case ExecutionOutcome.Completed c -> {}
      case ExecutionOutcome.Trapped t -> w.println("plasm: " + name + ": trap (" + t.kind().id() + "): " + t.message());
      case ExecutionOutcome.LimitExceeded l ->
          w.println("plasm: " + name + ": limit exceeded (" + l.limit().id() + "): " + l.message());
      case ExecutionOutcome.Rejected r ->
          w.println("plasm: " + r.message() + hint(r));
      case ExecutionOutcome.Failed f -> w.println("plasm: " + name + ": engine failure: " + f.message());
    }
    w.flush();
    return code;
  }

  private static String hint(ExecutionOutcome.Rejected r) {
    return switch (r.kind()) {
      case MALFORMED -> " (is it a WebAssembly binary? It must start with \\0asm)";
      case UNLINKABLE -> " (Plasm provides only WASI preview 1 imports, module wasi_snapshot_preview1)";
      default -> "";
    };
  }

  private int usageError(ConfigurationException e) {
    return fail("usage", e.field(), e.getMessage(), ExitCodes.USAGE);
  }

  private int noInput(String message) {
    return fail("no-input", "MODULE", message, ExitCodes.NO_INPUT);
  }

  /** Reports an error that stopped the job before it ran: JSON on stdout, or a line on stderr. */
  private int fail(String code, String field, String message, int exitCode) {
    PrintWriter w = json ? spec.commandLine().getOut() : spec.commandLine().getErr();
    w.println(json ? JsonOutput.error(code, field, message, exitCode) : "plasm: " + message);
    w.flush();
    return exitCode;
  }

  private ResourceLimits limits() {
    OptionalLong fuelBudget = OptionalLong.empty();
    if (fuel != null) {
      try {
        fuelBudget = OptionalLong.of(Long.parseLong(fuel.replace("_", "")));
      } catch (NumberFormatException e) {
        throw new ConfigurationException("--fuel", "--fuel: '" + fuel + "' is not a whole number of instructions, e.g. --fuel 1000000");
      }
    }
    long tables;
    try {
      tables = Long.parseLong(maxTableElements.replace("_", ""));
    } catch (NumberFormatException e) {
      throw new ConfigurationException(
          "--max-table-elements", "--max-table-elements: '" + maxTableElements + "' is not a whole number");
    }
    return new ResourceLimits(
        ByteSize.parse("--max-memory", maxMemory),
        tables,
        Durations.parse("--timeout", timeout),
        fuelBudget,
        ByteSize.parse("--max-output", maxOutput),
        ByteSize.parse("--max-module-size", maxModuleSize));
  }

  private Map<String, String> guestEnv() {
    Map<String, String> result = new LinkedHashMap<>();
    for (String e : env) {
      int eq = e.indexOf('=');
      String key = eq < 0 ? e : e.substring(0, eq);
      if (key.isEmpty() || key.indexOf('\0') >= 0) {
        throw new ConfigurationException("--env", "--env '" + e + "': write NAME=VALUE or NAME, with a non-empty NAME");
      }
      String value;
      if (eq < 0) {
        value = main.streams.env().get(key);
        if (value == null) {
          throw new ConfigurationException(
              "--env", "--env " + key + ": not set in this environment; write --env " + key + "=VALUE");
        }
      } else {
        value = e.substring(eq + 1);
      }
      if (value.indexOf('\0') >= 0) {
        throw new ConfigurationException("--env", "--env " + key + ": the value must not contain NUL");
      }
      result.put(key, value);
    }
    return result;
  }
}
