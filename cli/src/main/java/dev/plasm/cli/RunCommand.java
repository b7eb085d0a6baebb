package dev.plasm.cli;

import dev.plasm.api.ByteSize;
import dev.plasm.api.ConfigurationException;
import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.JobState;
import dev.plasm.api.Limit;
import dev.plasm.api.ResourceLimits;
import dev.plasm.api.Usage;
import dev.plasm.engine.spi.EngineDescriptor;
import dev.plasm.host.Admission;
import dev.plasm.host.DirMapping;
import dev.plasm.host.Job;
import dev.plasm.host.Sandbox;
import dev.plasm.job.JobManifest;
import dev.plasm.job.JobManifest.ModuleSource;
import dev.plasm.job.JobManifest.StdinSource;
import dev.plasm.job.JobPlan;
import dev.plasm.job.Placement;
import dev.plasm.job.Verify;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
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
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicBoolean;
import picocli.CommandLine.Model.CommandSpec;

/** {@code plasm run}: runs one module in the sandbox on this machine. */
final class RunCommand implements Callable<Integer> {

  private Main main;
  private CommandSpec spec;

  // The parsed command line, read from the spec when the command starts (see read()).
  Path module;
  Path manifestFile;
  List<String> args;
  List<String> dirs;
  List<String> readOnlyDirs;
  List<String> env;
  String engine;
  boolean json;
  Path receiptFile;
  String nonce;
  String jobId;
  boolean deterministic;
  boolean quiet;

  /**
   * The command's picocli model, written in code (the start-up path: see {@link Specs}); the limit
   * options and exit codes are added by {@link Main#commandLine}.
   */
  static CommandSpec spec() {
    RunCommand c = new RunCommand();
    CommandSpec s = Specs.command(c, "run", "Run a WebAssembly module in the sandbox.");
    c.spec = s;
    s.usageMessage()
        .customSynopsis(
            "plasm run [OPTIONS] MODULE.wasm [--] [ARGS...]",
            "       plasm run [OPTIONS] --manifest FILE [--] [ARGS...]")
        .description(
            "",
            "Runs MODULE.wasm (a WASI preview 1 command) with ARGS. The guest's stdin, stdout and stderr are this process's. It sees no files unless --dir grants a directory, and no network. Everything after MODULE.wasm is passed to the guest.",
            "",
            "On a terminal a status line shows the job while it runs (after a moment) and one line sums it up at the end; neither is printed on a pipe, with --json or with --quiet.",
            "")
        .exitCodeListHeading("%nExit codes:%n")
        .footer(
            "",
            "Sizes take binary units (64MiB, 512KiB, 1GiB); durations take ms, s, m, h (500ms, 30s, 2m).",
            "",
            "Examples:",
            "  plasm run hello.wasm -- world",
            "  plasm run --dir ./data::/data:ro --env LANG=C tool.wasm -- /data/input.txt",
            "  plasm run --timeout 5s --max-memory 64MiB --json job.wasm");
    s.addPositional(
        Specs.positional(
            "0", "0..1", "MODULE.wasm", Path.class, "The module to run (or give --manifest)."));
    s.addPositional(
        Specs.positional("1..*", "0..1", "ARGS", String.class, "Arguments for the guest."));
    s.addOption(
        Specs.option(
            "FILE",
            Path.class,
            "Read the job from a manifest (docs/manifest.md): module, arguments, environment, stdin, limits, engine. Options given here override it.",
            "--manifest"));
    s.addOption(
        Specs.repeatable(
                "HOST[::GUEST][:ro]",
                String.class,
                "Give the guest a host directory (repeatable), seen as GUEST (default: HOST as written); add :ro for read-only.",
                "--dir")
            .build());
    s.addOption(
        Specs.repeatable(
                "HOST[::GUEST]", String.class, "Like --dir, read-only (repeatable).", "--dir-ro")
            .build());
    s.addOption(
        Specs.repeatable(
                "NAME[=VALUE]",
                String.class,
                "Set an environment variable for the guest (repeatable); NAME alone passes this process's value.",
                "--env")
            .build());
    s.addOption(
        Specs.option(
            "ID",
            String.class,
            "Engine to run on (see 'plasm engines'), or auto to pick one for the job. Default: auto.",
            "--engine"));
    s.addOption(
        Specs.flag(
            "Print one JSON object with the outcome, exit code, output and usage instead of streaming the output.",
            "--json"));
    s.addOption(
        Specs.option(
            "FILE",
            Path.class,
            "Write a signed execution receipt to FILE (also added to --json output). Signs with the node identity in $PLASM_HOME.",
            "--receipt"));
    s.addOption(
        Specs.option(
            "NONCE",
            String.class,
            "A requester's nonce to bind into the receipt (1-128 of A-Z a-z 0-9 . _ : -).",
            "--nonce"));
    s.addOption(
        Specs.option(
            "ID",
            String.class,
            "The job id written into the receipt. Default: a random UUID.",
            "--job-id"));
    s.addOption(
        Specs.flag(
            "Give the guest recorded clocks and random (written into the receipt) so that the run can be re-executed and compared.",
            "--deterministic"));
    s.addOption(
        Specs.flag(
            "No status line and no summary on a terminal: only the guest's output and errors.",
            "-q",
            "--quiet"));
    return s;
  }

  /** Takes the parsed command line from the spec. */
  private void read() {
    main = (Main) spec.parent().userObject();
    module = (Path) spec.positionalParameters().get(0).getValue();
    args = Specs.rest(spec, 1);
    manifestFile = Specs.value(spec, "--manifest");
    dirs = Specs.values(spec, "--dir");
    readOnlyDirs = Specs.values(spec, "--dir-ro");
    env = Specs.values(spec, "--env");
    engine = Specs.value(spec, "--engine");
    json = Specs.isSet(spec, "--json");
    receiptFile = Specs.value(spec, "--receipt");
    nonce = Specs.value(spec, "--nonce");
    jobId = Specs.value(spec, "--job-id");
    deterministic = Specs.isSet(spec, "--deterministic");
    quiet = Specs.isSet(spec, "--quiet");
  }

  /** The status line and summary on a terminal; null until the job is about to run. */
  private JobProgress live;

  private final AtomicBoolean reported = new AtomicBoolean();

  @Override
  public Integer call() {
    read();
    List<String> guestArgs = new ArrayList<>(args);
    Path moduleFile = module;
    if (manifestFile != null && moduleFile != null) {
      // With --manifest the module is the manifest's: every word after the options is the guest's.
      guestArgs.add(0, moduleFile.toString());
      moduleFile = null;
    }
    if (!guestArgs.isEmpty() && guestArgs.get(0).equals("--")) {
      guestArgs = guestArgs.subList(1, guestArgs.size());
    }
    JobManifest m;
    List<DirMapping> mappings = new ArrayList<>();
    try {
      m =
          Manifests.merge(
              manifestFile == null ? null : Manifests.read(manifestFile),
              new Manifests.Flags(
                  moduleFile,
                  guestArgs,
                  guestEnv(),
                  null,
                  LimitFlags.requested(spec),
                  engine,
                  deterministic,
                  nonce,
                  null,
                  null,
                  null,
                  null));
      refuseNodeOnly(m);
      for (String d : dirs) {
        mappings.add(DirMapping.parse(d, false));
      }
      for (String d : readOnlyDirs) {
        mappings.add(DirMapping.parse(d, true));
      }
    } catch (ConfigurationException e) {
      return usageError(e);
    } catch (DaemonClient.Failure f) {
      return noInput(f.getMessage());
    }

    Admission admission = new Admission(main.registry(), policy());
    ResourceLimits limits;
    try {
      limits = admission.limits(m.limits());
    } catch (ConfigurationException e) {
      return usageError(admissionError(e));
    }
    byte[] bytes;
    String name;
    switch (m.module()) {
      case ModuleSource.ByPath p -> {
        Path file = Path.of(p.path());
        name = file.getFileName() == null ? file.toString() : file.getFileName().toString();
        try {
          if (Files.isDirectory(file)) {
            return noInput(file + " is a directory; give the path of a .wasm file");
          }
          long size = Files.size(file);
          if (size > limits.maxModuleBytes()) {
            return report(name, null, limits, tooBig(name, size, limits), null, null);
          }
          bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
          return noInput(file + ": no such file");
        } catch (AccessDeniedException e) {
          return noInput(file + ": permission denied");
        } catch (IOException e) {
          return noInput(file + ": cannot read: " + e.getMessage());
        }
      }
      case ModuleSource.Inline i -> {
        name = "module.wasm";
        bytes = i.bytes();
        if (bytes.length > limits.maxModuleBytes()) {
          return report(name, null, limits, tooBig(name, bytes.length, limits), null, null);
        }
      }
      case ModuleSource.ByHash h -> {
        return usageError(
            new ConfigurationException(
                "--manifest",
                "--manifest: plasm run needs the module's bytes: give "
                    + "modulePath or moduleBase64 (a sha256 names a module that a daemon stores; use 'plasm submit')"));
      }
    }
    if (m.programName() != null) {
      name = m.programName();
    }
    JobPlan plan;
    try {
      plan =
          admission.admit(
              m,
              new Admission.ModuleInfo(
                  dev.plasm.host.StreamDigest.of(bytes).sha256(), bytes.length),
              name,
              -1);
    } catch (ConfigurationException e) {
      return usageError(admissionError(e));
    }

    ByteArrayOutputStream capturedOut = json ? new ByteArrayOutputStream() : null;
    ByteArrayOutputStream capturedErr = json ? new ByteArrayOutputStream() : null;
    OutputStream out = json ? capturedOut : main.streams.out();
    OutputStream err = json ? capturedErr : main.streams.err();
    InputStream in;
    try {
      in =
          switch (m.stdin()) {
            // Without a manifest the guest reads this process's stdin, as any command does.
            case StdinSource.None none ->
                manifestFile == null ? main.streams.in() : InputStream.nullInputStream();
            case StdinSource.Inline i -> new ByteArrayInputStream(i.bytes());
            case StdinSource.ByPath p ->
                new ByteArrayInputStream(Manifests.readFile(p.path(), "stdin"));
          };
    } catch (DaemonClient.Failure f) {
      return noInput(f.getMessage());
    }

    Receipts receipts;
    try {
      receipts = receiptFile == null ? null : Receipts.prepare(main, jobId);
    } catch (ConfigurationException e) {
      return usageError(e);
    } catch (dev.plasm.identity.IdentityException e) {
      return fail("identity", "--receipt", "plasm: " + e.getMessage(), ExitCodes.USAGE);
    }
    Printer printer = new Printer(spec, main.streams);
    live = JobProgress.start(printer, main.streams, printer.interactive(json, quiet), name);
    live.engine(plan.engine().id());
    live.state(JobState.RUNNING);
    out = live.stdout(out);
    err = live.stderr(err);
    Job job =
        new Job(
            plan,
            bytes,
            in,
            out,
            err,
            mappings,
            plan.deterministic() ? Receipts.newDeterminism() : null);
    String shownName = name;
    Sandbox sandbox =
        new Sandbox(
            main.registry(),
            (result, guest) -> {
              // The engine did not stop: report now and end the process, the only hard stop.
              int code = finish(shownName, job, result, receipts, capturedOut, capturedErr);
              main.halt.accept(code);
            });
    dev.plasm.host.JobResult result;
    try {
      result = sandbox.execute(job);
    } catch (ConfigurationException e) {
      return usageError(e);
    }
    return finish(name, job, result, receipts, capturedOut, capturedErr);
  }

  /** What {@code plasm run} gives a job: the limits' defaults, up to what this JVM can hold. */
  private static Admission.Policy policy() {
    Admission.Policy p = Admission.Policy.local(ResourceLimits.DEFAULTS);
    long cap = Sandbox.guestMemoryCap();
    if (cap < Limit.MEMORY.max()) {
      p =
          p.withCap(
              Limit.MEMORY,
              cap,
              "what this JVM can give a guest (heap "
                  + ByteSize.format(Runtime.getRuntime().maxMemory())
                  + "); lower it, or raise the heap with PLASM_JAVA_OPTS=-Xmx<size>");
    }
    return p;
  }

  private static ExecutionOutcome tooBig(String name, long size, ResourceLimits limits) {
    return new ExecutionOutcome.LimitExceeded(
        Limit.MODULE_SIZE,
        Limit.MODULE_SIZE.over(name, size, limits.maxModuleBytes())
            + " ("
            + Limit.MODULE_SIZE.flag()
            + ")",
        Usage.NONE);
  }

  private int finish(
      String name,
      Job job,
      dev.plasm.host.JobResult result,
      Receipts receipts,
      ByteArrayOutputStream capturedOut,
      ByteArrayOutputStream capturedErr) {
    dev.plasm.receipt.spi.Receipt receipt = null;
    if (receipts != null) {
      receipt = receipts.issue(job, result);
      try {
        receipts.write(receiptFile, receipt);
      } catch (IOException e) {
        spec.commandLine()
            .getErr()
            .println("plasm: cannot write the receipt to " + receiptFile + ": " + e.getMessage());
        spec.commandLine().getErr().flush();
      }
    }
    this.receipt = receipt;
    return report(
        name, result.engine(), job.plan().limits(), result.outcome(), capturedOut, capturedErr);
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
    if (live != null) {
      live.close();
    }
    if (json) {
      PrintWriter o = spec.commandLine().getOut();
      o.println(
          JsonOutput.runResult(
              name, engineDescriptor, limits, outcome, code, capturedOut, capturedErr, receipt));
      o.flush();
      return code;
    }
    // What happened, after "plasm: NAME: "; null for a normal exit, which says nothing on a pipe.
    String what =
        switch (outcome) {
          case ExecutionOutcome.Completed c when c.exitCode() != code ->
              "exited with code "
                  + c.exitCode()
                  + ", which does not fit a process exit status; exiting with "
                  + code
                  + " (use --json to see it)";
          case ExecutionOutcome.Completed c -> null;
          case ExecutionOutcome.Trapped t -> "trap (" + t.kind().id() + "): " + t.message();
          case ExecutionOutcome.LimitExceeded l ->
              "limit exceeded (" + l.limit().id() + "): " + l.message();
          case ExecutionOutcome.Rejected r ->
              r.message().startsWith(name + ": ")
                  ? r.message().substring(name.length() + 2)
                  : r.message();
          case ExecutionOutcome.Failed f -> "engine failure: " + f.message();
          case ExecutionOutcome.Cancelled c -> "cancelled: " + c.message();
          case ExecutionOutcome.Interrupted i -> "interrupted: " + i.message();
        };
    if (live != null && new Printer(spec, main.streams).interactive(json, quiet)) {
      boolean ok = outcome instanceof ExecutionOutcome.Completed c && c.exitCode() == 0;
      String text = what != null ? what : "completed, exit code " + code;
      w.println(
          live.summary(
              text,
              ok,
              outcome.usage().wallTime(),
              receipt == null ? null : receiptFile.toString()));
    } else if (what != null) {
      w.println("plasm: " + name + ": " + what);
    }
    if (outcome instanceof ExecutionOutcome.Rejected r && hint(r) != null) {
      w.println(new Printer(spec, main.streams).err.dim("hint: " + hint(r)));
    }
    w.flush();
    return code;
  }

  private static String hint(ExecutionOutcome.Rejected r) {
    return switch (r.kind()) {
      case MALFORMED -> "is it a WebAssembly binary? A module starts with the bytes \\0asm";
      case UNLINKABLE ->
          "Plasm provides only WASI preview 1 imports (module wasi_snapshot_preview1)";
      default -> null;
    };
  }

  /**
   * Refuses what only a daemon can do, each field by its name: running elsewhere or on several
   * nodes, checking by re-execution against another node, keeping an idempotency key.
   */
  private void refuseNodeOnly(JobManifest m) {
    String tail = " is for 'plasm submit' (a daemon): plasm run runs the job once, on this machine";
    if (m.placement().kind() != Placement.Kind.ANY
        && m.placement().kind() != Placement.Kind.LOCAL) {
      throw new ConfigurationException(
          "placement", "--manifest " + manifestFile + ": placement " + m.placement().text() + tail);
    }
    if (m.redundancy() != 1) {
      throw new ConfigurationException(
          "redundancy", "--manifest " + manifestFile + ": redundancy " + m.redundancy() + tail);
    }
    if (m.verify() != Verify.RECEIPT) {
      throw new ConfigurationException(
          "verify", "--manifest " + manifestFile + ": verify " + m.verify().text() + tail);
    }
    if (m.idempotencyKey() != null) {
      throw new ConfigurationException(
          "idempotencyKey", "--manifest " + manifestFile + ": idempotencyKey" + tail);
    }
  }

  /**
   * An admission error named where its value came from: the flag when it was given on the command
   * line, the manifest's field ({@code limits.timeoutMillis}) when it came from {@code --manifest}.
   */
  private ConfigurationException admissionError(ConfigurationException e) {
    String field =
        e instanceof dev.plasm.api.LimitValueException lv
            ? "limits." + lv.limit().jsonName()
            : e.field();
    if (manifestFile == null || fromFlag(field)) {
      return LimitFlags.asFlagError(e);
    }
    String message =
        e instanceof dev.plasm.api.LimitValueException lv
            ? lv.messageFor(field)
            : field + ": " + e.getMessage();
    return new ConfigurationException(field, "--manifest " + manifestFile + ": " + message);
  }

  private boolean fromFlag(String field) {
    if (field.startsWith("limits.")) {
      dev.plasm.api.Limit l = dev.plasm.api.Limit.byJsonName(field.substring(7));
      return l != null && LimitFlags.requested(spec).containsKey(l);
    }
    return switch (field) {
      case "engine" -> engine != null;
      case "deterministic" -> deterministic;
      default -> true;
    };
  }

  private int usageError(ConfigurationException e) {
    return fail("usage", e.field(), e.getMessage(), ExitCodes.USAGE);
  }

  private int noInput(String message) {
    return fail("no-input", "MODULE", message, ExitCodes.NO_INPUT);
  }

  /** Reports an error that stopped the job before it ran: JSON on stdout, or a line and a hint on stderr. */
  private int fail(String code, String field, String message, int exitCode) {
    if (!json) {
      return new Printer(spec, main.streams)
          .fail(
              null,
              message,
              exitCode == ExitCodes.USAGE ? Hints.usage("plasm run") : null,
              exitCode);
    }
    PrintWriter w = spec.commandLine().getOut();
    w.println(JsonOutput.error(code, field, message, exitCode));
    w.flush();
    return exitCode;
  }

  private Map<String, String> guestEnv() {
    Map<String, String> result = new LinkedHashMap<>();
    for (String e : env) {
      int eq = e.indexOf('=');
      String key = eq < 0 ? e : e.substring(0, eq);
      if (key.isEmpty() || key.indexOf('\0') >= 0) {
        throw new ConfigurationException(
            "--env", "--env '" + e + "': write NAME=VALUE or NAME, with a non-empty NAME");
      }
      String value;
      if (eq < 0) {
        value = main.streams.env().get(key);
        if (value == null) {
          throw new ConfigurationException(
              "--env",
              "--env " + key + ": not set in this environment; write --env " + key + "=VALUE");
        }
      } else {
        value = e.substring(eq + 1);
      }
      if (value.indexOf('\0') >= 0) {
        throw new ConfigurationException(
            "--env", "--env " + key + ": the value must not contain NUL");
      }
      result.put(key, value);
    }
    return result;
  }
}
