package dev.plasm.cli;

import dev.plasm.api.ConfigurationException;
import dev.plasm.api.Limit;
import dev.plasm.api.ResourceLimits;
import dev.plasm.engine.spi.Determinism;
import dev.plasm.host.Job;
import dev.plasm.host.JobResult;
import dev.plasm.host.ReceiptIssuer;
import dev.plasm.host.ReceiptVerifier;
import dev.plasm.host.RunawayPolicy;
import dev.plasm.host.Sandbox;
import dev.plasm.job.JobPlan;
import dev.plasm.receipt.spi.Receipt;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** {@code plasm receipt}: work with execution receipts. */
final class ReceiptCommand implements Runnable {
  private CommandSpec spec;

  /** The command's model and its subcommand's, in code (see {@link Specs}). */
  static CommandSpec spec() {
    ReceiptCommand c = new ReceiptCommand();
    c.spec = Specs.command(c, "receipt", "Verify signed execution receipts.");
    c.spec.addSubcommand("verify", new CommandLine(Verify.spec()));
    return c.spec;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code plasm receipt verify}. */
  static final class Verify implements Callable<Integer> {
    private CommandSpec spec;

    // The parsed command line, read from the spec when the command starts (see read()).
    Path file;
    List<String> args;
    Path module;
    Path stdout;
    Path stderr;
    List<String> trust;
    String jobId;
    String nonce;
    boolean reexecute;
    String engine;
    List<String> env;
    Path stdin;
    OutputOptions output;

    /** The subcommand's model (its exit codes are added by {@link Main#commandLine}). */
    static CommandSpec spec() {
      Verify c = new Verify();
      CommandSpec s =
          Specs.command(
              c,
              "verify",
              "Check a receipt offline: signature, hashes, ids, trust, and optionally re-execute it.");
      c.spec = s;
      s.usageMessage()
          .customSynopsis("plasm receipt verify [OPTIONS] RECEIPT.json [--] [ARGS...]")
          .description(
              "",
              "Checks that RECEIPT.json is well-formed, that its signature is valid for its signer's key, that the signer's peer id is that key's, and that every file given matches the hash the receipt states. The signer is trusted only if named with --trust: the key inside a receipt proves nothing by itself.",
              "",
              "--reexecute runs the module again (--module is required) under the receipt's engine, limits and, for deterministic jobs, its recorded clocks and random, with the ARGS, --env and --stdin you give (they must hash to what the receipt states), and compares the outcome and the output hashes. --quiet prints the verdict only.",
              "")
          .exitCodeListHeading("%nExit codes:%n")
          .footer(
              "",
              "Examples:",
              "  plasm receipt verify --trust 12D3KooW... --module tool.wasm --stdout out.txt r.json",
              "  plasm receipt verify --module tool.wasm --reexecute r.json -- --input data.txt");
      s.addPositional(
          Specs.positional("0", null, "RECEIPT.json", Path.class, "The receipt to check."));
      s.addPositional(
          Specs.positional(
              "1..*", "0..1", "ARGS", String.class, "With --reexecute: the guest's arguments."));
      s.addOption(
          Specs.option("FILE", Path.class, "The module: its sha256 must match.", "--module"));
      s.addOption(
          Specs.option("FILE", Path.class, "The job's stdout: its sha256 must match.", "--stdout"));
      s.addOption(
          Specs.option("FILE", Path.class, "The job's stderr: its sha256 must match.", "--stderr"));
      s.addOption(
          Specs.repeatable(
                  "PEER_ID_OR_KEY",
                  String.class,
                  "A signer you trust: peer id (12D3KooW...) or base64 public key (repeatable).",
                  "--trust")
              .build());
      s.addOption(
          Specs.option(
              "ID",
              String.class,
              "The job id you expect: a receipt for another job fails.",
              "--job-id"));
      s.addOption(
          Specs.option("NONCE", String.class, "The nonce you sent with the job.", "--nonce"));
      s.addOption(
          Specs.flag("Run the module again and compare outcome and output.", "--reexecute"));
      s.addOption(
          Specs.option(
              "ID",
              String.class,
              "With --reexecute: the engine (default: the receipt's).",
              "--engine"));
      s.addOption(
          Specs.repeatable(
                  "NAME=VALUE",
                  String.class,
                  "With --reexecute: the guest's environment, in the original order (repeatable).",
                  "--env")
              .build());
      s.addOption(
          Specs.option(
              "FILE",
              Path.class,
              "With --reexecute: the guest's stdin (default: empty).",
              "--stdin"));
      OutputOptions.addTo(s);
      return s;
    }

    /** Takes the parsed command line from the spec. */
    private void read() {
      file = (Path) spec.positionalParameters().get(0).getValue();
      args = Specs.rest(spec, 1);
      module = Specs.value(spec, "--module");
      stdout = Specs.value(spec, "--stdout");
      stderr = Specs.value(spec, "--stderr");
      trust = Specs.values(spec, "--trust");
      jobId = Specs.value(spec, "--job-id");
      nonce = Specs.value(spec, "--nonce");
      reexecute = Specs.isSet(spec, "--reexecute");
      engine = Specs.value(spec, "--engine");
      env = Specs.values(spec, "--env");
      stdin = Specs.value(spec, "--stdin");
      output = OutputOptions.of(spec);
    }

    /** The root command's object: the receipt command's parent. */
    private Main main() {
      return (Main) spec.parent().parent().userObject();
    }

    @Override
    public Integer call() {
      read();
      Main main = main();
      List<String> guestArgs =
          !args.isEmpty() && args.get(0).equals("--") ? args.subList(1, args.size()) : args;
      byte[] receiptBytes;
      byte[] moduleBytes;
      byte[] outBytes;
      byte[] errBytes;
      byte[] inBytes;
      try {
        receiptBytes = Files.readAllBytes(file);
        moduleBytes = read(module);
        outBytes = read(stdout);
        errBytes = read(stderr);
        inBytes = stdin == null ? new byte[0] : Files.readAllBytes(stdin);
      } catch (NoSuchFileException e) {
        return error(ExitCodes.NO_INPUT, e.getFile() + ": no such file");
      } catch (IOException e) {
        return error(ExitCodes.NO_INPUT, "cannot read: " + e.getMessage());
      }
      if (reexecute && moduleBytes == null) {
        return error(ExitCodes.USAGE, "--reexecute needs the module: add --module FILE");
      }
      ReceiptVerifier verifier = new ReceiptVerifier(main.plugins().receiptSchemes());
      ReceiptVerifier.Report report =
          verifier.verify(
              receiptBytes,
              new ReceiptVerifier.Request(moduleBytes, outBytes, errBytes, trust, jobId, nonce));
      List<ReceiptVerifier.Check> replay = new ArrayList<>();
      if (reexecute && report.wellFormed()) {
        try {
          replay = reexecute(main, report.receipt(), moduleBytes, guestArgs, inBytes);
        } catch (ConfigurationException e) {
          return error(ExitCodes.USAGE, e.getMessage());
        }
      }
      int code = exitCode(report, replay);
      PrintWriter out = spec.commandLine().getOut();
      dev.plasm.cli.term.Style style = new Printer(spec, main.streams).out;
      if (output.json) {
        out.println(JsonOutput.verification(report, replay, code));
      } else {
        List<ReceiptVerifier.Check> all = new ArrayList<>(report.checks());
        all.addAll(replay);
        for (var c : output.quiet ? List.<ReceiptVerifier.Check>of() : all) {
          out.println(
              style.state(String.format("%-4s", c.passed() ? "ok" : "FAIL"))
                  + " "
                  + String.format("%-22s", c.name())
                  + " "
                  + c.detail());
        }
        String verdict = summary(code);
        out.println(
            style.state(verdict.substring(0, verdict.indexOf(' ')))
                + verdict.substring(verdict.indexOf(' ')));
      }
      out.flush();
      return code;
    }

    private static String summary(int code) {
      return switch (code) {
        case ExitCodes.OK -> "VALID: authentic, matching, and signed by a trusted node";
        case ExitCodes.RECEIPT_UNTRUSTED ->
            "AUTHENTIC BUT UNTRUSTED: the signature and hashes hold, but the signer was not given with --trust";
        case ExitCodes.RECEIPT_MALFORMED -> "MALFORMED: this is not a well-formed Plasm receipt";
        case ExitCodes.RECEIPT_REEXECUTION_MISMATCH ->
            "MISMATCH: the re-execution does not reproduce the receipt";
        default -> "INVALID: the receipt does not hold (see FAIL lines)";
      };
    }

    private static int exitCode(ReceiptVerifier.Report report, List<ReceiptVerifier.Check> replay) {
      if (!report.wellFormed()) {
        return ExitCodes.RECEIPT_MALFORMED;
      }
      if (!report.authentic()) {
        return ExitCodes.RECEIPT_INVALID;
      }
      if (!replay.stream().allMatch(ReceiptVerifier.Check::passed)) {
        return ExitCodes.RECEIPT_REEXECUTION_MISMATCH;
      }
      return report.passed() ? ExitCodes.OK : ExitCodes.RECEIPT_UNTRUSTED;
    }

    private List<ReceiptVerifier.Check> reexecute(
        Main main, Receipt r, byte[] moduleBytes, List<String> guestArgs, byte[] inBytes) {
      List<ReceiptVerifier.Check> checks = new ArrayList<>();
      Map<String, String> guestEnv = new LinkedHashMap<>();
      for (String e : env) {
        int eq = e.indexOf('=');
        if (eq <= 0) {
          throw new ConfigurationException("--env", "--env '" + e + "': write NAME=VALUE");
        }
        guestEnv.put(e.substring(0, eq), e.substring(eq + 1));
      }
      boolean argsOk = ReceiptIssuer.argsSha256(guestArgs).equals(r.inputs().argsSha256());
      boolean envOk = ReceiptIssuer.envSha256(guestEnv).equals(r.inputs().envSha256());
      checks.add(
          new ReceiptVerifier.Check(
              "reexecution-args",
              argsOk,
              argsOk
                  ? "the arguments match"
                  : "the arguments given do not hash to the receipt's argsSha256; give the job's ARGS after --"));
      checks.add(
          new ReceiptVerifier.Check(
              "reexecution-env",
              envOk,
              envOk
                  ? "the environment matches"
                  : "the --env given does not hash to the receipt's envSha256; give the job's variables in order"));
      if (!argsOk || !envOk) {
        return checks;
      }
      // The job as the receipt states it was run: its engine (this machine's version of it), limits
      // and recorded world. Limits a receipt does not state (from an older node) are the defaults.
      Map<Limit, Long> stated = new EnumMap<>(Limit.class);
      ResourceLimits.DEFAULTS.values().forEach(stated::put);
      r.settings()
          .limits()
          .forEach(
              (name, v) -> {
                Limit l = Limit.byJsonName(name);
                if (l != null) {
                  stated.put(l, v);
                }
              });
      ResourceLimits limits = new ResourceLimits(stated);
      Determinism det =
          r.settings().deterministic() == null
              ? null
              : new Determinism(
                  r.settings().deterministic().clockEpochMicros(),
                  HexFormat.of().parseHex(r.settings().deterministic().randomSeed()));
      String engineId = engine != null ? engine : r.settings().engineId();
      String engineVersion = main.registry().require(engineId).descriptor().version();
      JobPlan plan =
          new JobPlan(
              r.module().sha256(),
              moduleBytes.length,
              r.inputs().programName(),
              guestArgs,
              guestEnv,
              inBytes.length,
              new JobPlan.Engine(engineId, engineVersion),
              limits,
              det != null,
              r.nonce());
      Job job =
          new Job(
              plan,
              moduleBytes,
              new ByteArrayInputStream(inBytes),
              new ByteArrayOutputStream(),
              new ByteArrayOutputStream(),
              List.of(),
              det);
      JobResult result = new Sandbox(main.registry(), RunawayPolicy.ABANDON_THREAD).execute(job);
      Receipt.Outcome got = ReceiptIssuer.outcome(result.outcome());
      boolean outcomeOk = got.equals(r.outcome());
      checks.add(
          new ReceiptVerifier.Check(
              "reexecution-outcome",
              outcomeOk,
              "on "
                  + engineId
                  + ": "
                  + describe(got)
                  + (outcomeOk ? "" : ", but the receipt says " + describe(r.outcome()))));
      compare(checks, "reexecution-stdin", result.stdin(), r.inputs().stdin());
      compare(checks, "reexecution-stdout", result.stdout(), r.stdout());
      compare(checks, "reexecution-stderr", result.stderr(), r.stderr());
      return checks;
    }

    private static void compare(
        List<ReceiptVerifier.Check> checks,
        String name,
        dev.plasm.host.StreamDigest got,
        Receipt.Digest want) {
      boolean ok = got.sha256().equals(want.sha256()) && got.bytes() == want.bytes();
      checks.add(
          new ReceiptVerifier.Check(
              name,
              ok,
              ok
                  ? "same sha256, " + got.bytes() + " bytes"
                  : "sha256 "
                      + got.sha256()
                      + " ("
                      + got.bytes()
                      + " bytes), but the receipt says "
                      + want.sha256()
                      + " ("
                      + want.bytes()
                      + " bytes)"));
    }

    private static String describe(Receipt.Outcome o) {
      return o.kind()
          + (o.exitCode() != null ? " with exit code " + o.exitCode() : "")
          + (o.detail() != null ? " (" + o.detail() + ")" : "");
    }

    private static byte[] read(Path p) throws IOException {
      return p == null ? null : Files.readAllBytes(p);
    }

    private int error(int code, String message) {
      if (!output.json) {
        return new Printer(spec, main().streams)
            .fail(
                "receipt verify",
                message,
                code == ExitCodes.USAGE ? Hints.usage("plasm receipt verify") : null,
                code);
      }
      PrintWriter w = spec.commandLine().getOut();
      w.println(
          JsonOutput.error(code == ExitCodes.USAGE ? "usage" : "no-input", "", message, code));
      w.flush();
      return code;
    }
  }
}
