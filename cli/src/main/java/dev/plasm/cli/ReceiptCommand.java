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
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** {@code plasm receipt}: work with execution receipts. */
@Command(
    name = "receipt",
    header = "Verify signed execution receipts.",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    subcommands = {ReceiptCommand.Verify.class})
final class ReceiptCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code plasm receipt verify}. */
  @Command(
      name = "verify",
      header =
          "Check a receipt offline: signature, hashes, ids, trust, and optionally re-execute it.",
      mixinStandardHelpOptions = true,
      versionProvider = Main.Version.class,
      customSynopsis = "plasm receipt verify [OPTIONS] RECEIPT.json [--] [ARGS...]",
      description = {
        "",
        "Checks that RECEIPT.json is well-formed, that its signature is valid for its signer's key, that the signer's peer id is that key's, and that every file given matches the hash the receipt states. The signer is trusted only if named with --trust: the key inside a receipt proves nothing by itself.",
        "",
        "--reexecute runs the module again (--module is required) under the receipt's engine, limits and, for deterministic jobs, its recorded clocks and random, with the ARGS, --env and --stdin you give (they must hash to what the receipt states), and compares the outcome and the output hashes. --quiet prints the verdict only.",
        ""
      },
      exitCodeListHeading = "%nExit codes:%n",
      footer = {
        "",
        "Examples:",
        "  plasm receipt verify --trust 12D3KooW... --module tool.wasm --stdout out.txt r.json",
        "  plasm receipt verify --module tool.wasm --reexecute r.json -- --input data.txt"
      })
  static final class Verify implements Callable<Integer> {
    @CommandLine.ParentCommand ReceiptCommand parent;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Parameters(index = "0", paramLabel = "RECEIPT.json", description = "The receipt to check.")
    Path file;

    @Parameters(
        index = "1..*",
        paramLabel = "ARGS",
        description = "With --reexecute: the guest's arguments.")
    List<String> args = new ArrayList<>();

    @Option(
        names = "--module",
        paramLabel = "FILE",
        description = "The module: its sha256 must match.")
    Path module;

    @Option(
        names = "--stdout",
        paramLabel = "FILE",
        description = "The job's stdout: its sha256 must match.")
    Path stdout;

    @Option(
        names = "--stderr",
        paramLabel = "FILE",
        description = "The job's stderr: its sha256 must match.")
    Path stderr;

    @Option(
        names = "--trust",
        paramLabel = "PEER_ID_OR_KEY",
        description =
            "A signer you trust: peer id (12D3KooW...) or base64 public key (repeatable).")
    List<String> trust = new ArrayList<>();

    @Option(
        names = "--job-id",
        paramLabel = "ID",
        description = "The job id you expect: a receipt for another job fails.")
    String jobId;

    @Option(
        names = "--nonce",
        paramLabel = "NONCE",
        description = "The nonce you sent with the job.")
    String nonce;

    @Option(
        names = "--reexecute",
        description = "Run the module again and compare outcome and output.")
    boolean reexecute;

    @Option(
        names = "--engine",
        paramLabel = "ID",
        description = "With --reexecute: the engine (default: the receipt's).")
    String engine;

    @Option(
        names = "--env",
        paramLabel = "NAME=VALUE",
        description =
            "With --reexecute: the guest's environment, in the original order (repeatable).")
    List<String> env = new ArrayList<>();

    @Option(
        names = "--stdin",
        paramLabel = "FILE",
        description = "With --reexecute: the guest's stdin (default: empty).")
    Path stdin;

    @CommandLine.Mixin OutputOptions output;

    @Override
    public Integer call() {
      Main main = (Main) parent.spec.parent().userObject();
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
        return new Printer(spec, ((Main) parent.spec.parent().userObject()).streams)
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
