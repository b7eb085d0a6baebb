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
import picocli.CommandLine.Model.CommandSpec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code plasm submit}: sends a job to a daemon (docs/http-api.md). */
final class SubmitCommand implements Callable<Integer> {
  private CommandSpec spec;
  private Main main;
  private DaemonClient.Options client;

  // The parsed command line, read from the spec when the command starts (see read()).
  Path module;
  List<String> args;
  Path manifestFile;
  List<String> env;
  Path stdin;
  String engine;
  boolean deterministic;
  String nonce;
  String placement;
  Integer redundancy;
  String verify;
  String idempotencyKey;
  boolean await;
  boolean follow;
  Path receipt;

  /**
   * The command's model, in code (see {@link Specs}); the limit options are added by {@link
   * Main#commandLine}.
   */
  static CommandSpec spec() {
    SubmitCommand c = new SubmitCommand();
    CommandSpec s = Specs.command(c, "submit", "Submit a job to a Plasm daemon.");
    c.spec = s;
    java.util.Map<String, String> codes =
        Specs.exitCodes(
            "0:submitted (or, with --wait, the guest exited 0)",
            "N:with --wait, as 'plasm run'",
            "64:bad usage or refused by the daemon (the message names the field)",
            "66:module file missing",
            "69:no daemon reachable",
            "75:the daemon's queue is full; retry later",
            "77:token missing or wrong");
    s.usageMessage()
        .customSynopsis(
            "plasm submit [OPTIONS] MODULE.wasm [--] [ARGS...]",
            "       plasm submit [OPTIONS] --manifest FILE [--] [ARGS...]")
        .description(
            "",
            "Uploads MODULE.wasm (content-addressed, so a module the daemon has is not sent again) and submits a job; prints its id. With --wait it waits, prints the guest's output and exits like 'plasm run'. Limits a job does not give are the node's.",
            "",
            "On a terminal, --wait and --follow show a status line while the job runs (state, time, engine, the peer running it, output so far) with the output above it, and one line sums the job up at the end. Ctrl-C while waiting cancels the job.",
            "")
        .exitCodeListHeading("%nExit codes:%n")
        .exitCodeList(codes);
    DaemonClient.Options.addTo(s);
    s.addPositional(
        Specs.positional(
            "0",
            "0..1",
            "MODULE.wasm",
            Path.class,
            "The module (uploaded first, by its hash), or give --manifest."));
    s.addPositional(
        Specs.positional("1..*", "0..1", "ARGS", String.class, "Arguments for the guest."));
    s.addOption(
        Specs.option(
            "FILE",
            Path.class,
            "Read the job from a manifest (docs/manifest.md); options given here override it.",
            "--manifest"));
    s.addOption(
        Specs.repeatable(
                "NAME=VALUE",
                String.class,
                "Set a guest environment variable (repeatable).",
                "--env")
            .build());
    s.addOption(Specs.option("FILE", Path.class, "The guest's stdin. Default: empty.", "--stdin"));
    s.addOption(
        Specs.option(
            "ID",
            String.class,
            "Engine, or auto for the node's choice. Default: auto.",
            "--engine"));
    s.addOption(
        Specs.flag(
            "Give the guest recorded clocks and random, stated in the receipt, so the run can be repeated and compared.",
            "--deterministic"));
    s.addOption(
        Specs.option(
            "NONCE",
            String.class,
            "A nonce of yours to bind into the receipt (1-128 of A-Z a-z 0-9 . _ : -).",
            "--nonce"));
    s.addOption(
        Specs.option(
            "WHERE",
            String.class,
            "local, remote, any or a peer id: where the job may run. Default: any (this node when it can).",
            "--placement"));
    s.addOption(
        Specs.option(
            "N",
            Integer.class,
            "Run on N distinct nodes and accept only agreeing results (deterministic jobs). Default: 1.",
            "--redundancy"));
    s.addOption(
        Specs.option(
            "HOW",
            String.class,
            "receipt, or reexecute (also run a deterministic job here and compare). Default: receipt.",
            "--verify"));
    s.addOption(
        Specs.option(
            "KEY",
            String.class,
            "Resubmitting with the same key returns the same job instead of a new one.",
            "--idempotency-key"));
    s.addOption(Specs.flag("Wait for the job, print its output, exit like 'plasm run'.", "--wait"));
    s.addOption(Specs.flag("Like --wait, printing output as it arrives.", "--follow"));
    s.addOption(
        Specs.option(
            "FILE",
            Path.class,
            "With --wait: write the job's signed receipt to FILE.",
            "--receipt"));
    return s;
  }

  /** Takes the parsed command line from the spec. */
  private void read() {
    main = (Main) spec.parent().userObject();
    client = DaemonClient.Options.of(spec);
    module = (Path) spec.positionalParameters().get(0).getValue();
    args = Specs.rest(spec, 1);
    manifestFile = Specs.value(spec, "--manifest");
    env = Specs.values(spec, "--env");
    stdin = Specs.value(spec, "--stdin");
    engine = Specs.value(spec, "--engine");
    deterministic = Specs.isSet(spec, "--deterministic");
    nonce = Specs.value(spec, "--nonce");
    placement = Specs.value(spec, "--placement");
    redundancy = Specs.value(spec, "--redundancy");
    verify = Specs.value(spec, "--verify");
    idempotencyKey = Specs.value(spec, "--idempotency-key");
    await = Specs.isSet(spec, "--wait");
    follow = Specs.isSet(spec, "--follow");
    receipt = Specs.value(spec, "--receipt");
  }

  @Override
  public Integer call() {
    read();
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
