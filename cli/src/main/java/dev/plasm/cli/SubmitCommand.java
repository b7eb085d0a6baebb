package dev.plasm.cli;

import dev.plasm.api.ConfigurationException;
import dev.plasm.job.JobJson;
import dev.plasm.job.JobManifest;
import dev.plasm.job.JobManifest.ModuleSource;
import dev.plasm.job.JobManifest.StdinSource;
import dev.plasm.job.Placement;
import dev.plasm.job.Verify;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code plasm submit}: sends a job to a daemon (docs/http-api.md). */
@Command(
    name = "submit",
    header = "Submit a job to a Plasm daemon.",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    customSynopsis = {
      "plasm submit [OPTIONS] MODULE.wasm [--] [ARGS...]",
      "       plasm submit [OPTIONS] --manifest FILE [--] [ARGS...]"
    },
    description = {
      "",
      "Uploads MODULE.wasm (content-addressed, so a module the daemon has is not sent again) and submits a job; prints its id. With --wait it waits, prints the guest's output and exits like 'plasm run'. Limits a job does not give are the node's.",
      "",
      "On a terminal, --wait and --follow show a status line while the job runs (state, time, engine, the peer running it, output so far) with the output above it, and one line sums the job up at the end. Ctrl-C while waiting cancels the job.",
      ""
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:submitted (or, with --wait, the guest exited 0)",
      "N:with --wait, as 'plasm run'",
      "64:bad usage or refused by the daemon (the message names the field)",
      "66:module file missing",
      "69:no daemon reachable",
      "75:the daemon's queue is full; retry later",
      "77:token missing or wrong"
    })
final class SubmitCommand implements Callable<Integer> {
  @CommandLine.ParentCommand Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @Mixin DaemonClient.Options client;

  @Parameters(
      index = "0",
      arity = "0..1",
      paramLabel = "MODULE.wasm",
      description = "The module (uploaded first, by its hash), or give --manifest.")
  Path module;

  @Parameters(index = "1..*", paramLabel = "ARGS", description = "Arguments for the guest.")
  List<String> args = new ArrayList<>();

  @Option(
      names = "--manifest",
      paramLabel = "FILE",
      description =
          "Read the job from a manifest (docs/manifest.md); options given here override it.")
  Path manifestFile;

  @Option(
      names = "--env",
      paramLabel = "NAME=VALUE",
      description = "Set a guest environment variable (repeatable).")
  List<String> env = new ArrayList<>();

  @Option(
      names = "--stdin",
      paramLabel = "FILE",
      description = "The guest's stdin. Default: empty.")
  Path stdin;

  @Option(
      names = "--engine",
      paramLabel = "ID",
      description = "Engine, or auto for the node's choice. Default: auto.")
  String engine;

  @Option(
      names = "--deterministic",
      description =
          "Give the guest recorded clocks and random, stated in the receipt, so the run can be repeated and compared.")
  boolean deterministic;

  @Option(
      names = "--nonce",
      paramLabel = "NONCE",
      description = "A nonce of yours to bind into the receipt (1-128 of A-Z a-z 0-9 . _ : -).")
  String nonce;

  @Option(
      names = "--placement",
      paramLabel = "WHERE",
      description =
          "local, remote, any or a peer id: where the job may run. Default: any (this node when it can).")
  String placement;

  @Option(
      names = "--redundancy",
      paramLabel = "N",
      description =
          "Run on N distinct nodes and accept only agreeing results (deterministic jobs). Default: 1.")
  Integer redundancy;

  @Option(
      names = "--verify",
      paramLabel = "HOW",
      description =
          "receipt, or reexecute (also run a deterministic job here and compare). Default: receipt.")
  String verify;

  @Option(
      names = "--idempotency-key",
      paramLabel = "KEY",
      description = "Resubmitting with the same key returns the same job instead of a new one.")
  String idempotencyKey;

  @Option(
      names = "--wait",
      description = "Wait for the job, print its output, exit like 'plasm run'.")
  boolean await;

  @Option(names = "--follow", description = "Like --wait, printing output as it arrives.")
  boolean follow;

  @Option(
      names = "--receipt",
      paramLabel = "FILE",
      description = "With --wait: write the job's signed receipt to FILE.")
  Path receipt;

  @Override
  public Integer call() {
    Printer printer = new Printer(spec, main.streams);
    try {
      return submit();
    } catch (DaemonClient.Failure f) {
      return printer.fail("submit", f);
    } catch (ConfigurationException e) {
      return printer.fail(null, e.getMessage(), Hints.usage("plasm submit"), ExitCodes.USAGE);
    }
  }

  private int submit() {
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
    Map<String, String> guestEnv = new LinkedHashMap<>();
    for (String e : env) {
      int eq = e.indexOf('=');
      if (eq <= 0) {
        throw new ConfigurationException("--env", "--env '" + e + "': write NAME=VALUE");
      }
      guestEnv.put(e.substring(0, eq), e.substring(eq + 1));
    }
    Placement where = null;
    if (placement != null && (where = Placement.parse(placement)) == null) {
      throw new ConfigurationException(
          "--placement",
          "--placement: '" + placement + "' must be local, remote, any or a peer id");
    }
    if (redundancy != null && (redundancy < 1 || redundancy > JobManifest.MAX_REDUNDANCY)) {
      throw new ConfigurationException(
          "--redundancy", "--redundancy: give 1 to " + JobManifest.MAX_REDUNDANCY);
    }
    Verify how = null;
    if (verify != null) {
      how =
          switch (verify) {
            case "receipt" -> Verify.RECEIPT;
            case "reexecute" -> Verify.REEXECUTE;
            default ->
                throw new ConfigurationException(
                    "--verify", "--verify: '" + verify + "' must be receipt or reexecute");
          };
    }
    JobManifest m =
        Manifests.merge(
            manifestFile == null ? null : Manifests.read(manifestFile),
            new Manifests.Flags(
                moduleFile,
                guestArgs,
                guestEnv,
                stdin,
                LimitFlags.requested(spec),
                engine,
                deterministic,
                nonce,
                where,
                redundancy,
                how,
                idempotencyKey));
    DaemonClient c = new DaemonClient(client, main.streams.env());
    Printer printer = new Printer(spec, main.streams);
    String name =
        m.module() instanceof ModuleSource.ByPath p && Path.of(p.path()).getFileName() != null
            ? Path.of(p.path()).getFileName().toString()
            : null;
    try (JobProgress live =
        JobProgress.start(
            printer,
            main.streams,
            (await || follow) && printer.interactive(client.json, client.quiet),
            m.programName() != null ? m.programName() : name != null ? name : "job")) {
      return submit(c, m, name, live, printer);
    }
  }

  private int submit(
      DaemonClient c, JobManifest m, String name, JobProgress live, Printer printer) {
    // The module goes up once, by its hash; the job names it by that hash.
    switch (m.module()) {
      case ModuleSource.ByPath p ->
          m =
              m.withModule(
                  new ModuleSource.ByHash(
                      Upload.module(c, Manifests.readFile(p.path(), "module"), name, live)
                          .get("sha256")
                          .asString()));
      case ModuleSource.Inline i ->
          m =
              m.withModule(
                  new ModuleSource.ByHash(
                      Upload.module(c, i.bytes(), "module", live).get("sha256").asString()));
      case ModuleSource.ByHash h -> {}
    }
    if (m.stdin() instanceof StdinSource.ByPath p) {
      m = m.withStdin(new StdinSource.Inline(Manifests.readFile(p.path(), "--stdin")));
    }
    ObjectNode req = JobJson.tree(m);
    if (m.programName() == null && name != null) {
      req.put("programName", name);
    }
    // With --wait a short job's result comes back with the submission itself (on a terminal the
    // output streams under a status line instead, as with --follow).
    boolean stream = follow || live.live();
    JsonNode answer =
        c.postJson(await && !stream ? "/v1/jobs?wait=30s" : "/v1/jobs", req.toString());
    String id = answer.get("id").asString();
    PrintWriter out = spec.commandLine().getOut();
    if (!await && !follow) {
      out.println(client.json ? answer.toPrettyString() : id);
      out.flush();
      return ExitCodes.OK;
    }
    DaemonJob job = c.job(answer);
    JobCommand.Output output =
        new JobCommand.Output(
            c, id, live.stdout(main.streams.out()), live.stderr(main.streams.err()));
    live.job(job);
    try (Interrupts.Scope cancel =
        Interrupts.onInterrupt(() -> JobCommand.cancelQuietly(c, id, printer))) {
      if (stream) {
        while (!(job = c.job("/v1/jobs/" + id + "/wait?timeout=1s")).terminal()) {
          output.pump();
          live.job(job);
        }
      } else {
        job = job.terminal() ? job : c.await(id);
      }
    }
    live.job(job);
    String written = null;
    if (receipt != null && job.json().has("receipt") && job.json().get("receipt").asBoolean()) {
      try {
        Files.write(receipt, c.getBytes("/v1/jobs/" + id + "/receipt"));
        written = receipt.toString();
      } catch (IOException e) {
        spec.commandLine()
            .getErr()
            .println("plasm: cannot write the receipt to " + receipt + ": " + e.getMessage());
      }
    }
    if (client.json) {
      out.println(job.json().toPrettyString());
      out.flush();
    } else {
      output.pump();
      live.close();
      String d = job.describe();
      if (printer.interactive(client.json, client.quiet)) {
        printer.summary(live.summary(job, written));
      } else if (d != null) {
        spec.commandLine()
            .getErr()
            .println("plasm: " + (module != null ? module.getFileName() : id) + ": " + d);
        spec.commandLine().getErr().flush();
      }
    }
    return job.exitCode();
  }
}
