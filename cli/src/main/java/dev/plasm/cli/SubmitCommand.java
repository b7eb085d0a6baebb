package dev.plasm.cli;

import dev.plasm.api.ByteSize;
import dev.plasm.api.ConfigurationException;
import dev.plasm.api.Durations;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
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
    customSynopsis = "plasm submit [OPTIONS] MODULE.wasm [--] [ARGS...]",
    description = {"", "Uploads MODULE.wasm (content-addressed) and submits a job; prints its id. With --wait it",
      "waits, prints the guest's output and exits like 'plasm run'. Limits a job does not give are the node's.", ""},
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {"0:submitted (or, with --wait, the guest exited 0)", "N:with --wait, as 'plasm run'",
      "64:bad usage or refused by the daemon (the message names the field)", "66:module file missing",
      "69:no daemon reachable", "75:the daemon's queue is full; retry later", "77:token missing or wrong"})
final class SubmitCommand implements Callable<Integer> {
  @CommandLine.ParentCommand Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @Mixin DaemonClient.Options client;

  @Parameters(index = "0", paramLabel = "MODULE.wasm") Path module;
  @Parameters(index = "1..*", paramLabel = "ARGS") List<String> args = new ArrayList<>();

  @Option(names = "--env", paramLabel = "NAME=VALUE", description = "Set a guest environment variable (repeatable).") List<String> env = new ArrayList<>();
  @Option(names = "--stdin", paramLabel = "FILE", description = "The guest's stdin. Default: empty.") Path stdin;
  @Option(names = "--engine", paramLabel = "ID", description = "Engine, or auto. Default: auto.") String engine;
  @Option(names = "--max-memory", paramLabel = "SIZE") String maxMemory;
  @Option(names = "--timeout", paramLabel = "DURATION") String timeout;
  @Option(names = "--fuel", paramLabel = "N") Long fuel;
  @Option(names = "--max-output", paramLabel = "SIZE") String maxOutput;
  @Option(names = "--max-module-size", paramLabel = "SIZE") String maxModuleSize;
  @Option(names = "--max-table-elements", paramLabel = "N") Long maxTableElements;
  @Option(names = "--deterministic", description = "Recorded clocks and random.") boolean deterministic;
  @Option(names = "--nonce", paramLabel = "NONCE") String nonce;
  @Option(names = "--idempotency-key", paramLabel = "KEY", description = "Resubmitting with the same key returns the same job.") String idempotencyKey;
  @Option(names = "--wait", description = "Wait for the job, print its output, exit like 'plasm run'.") boolean await;
  @Option(names = "--follow", description = "Like --wait, printing output as it arrives.") boolean follow;
  @Option(names = "--receipt", paramLabel = "FILE", description = "With --wait: write the job's signed receipt to FILE.") Path receipt;

  @Override
  public Integer call() {
    PrintWriter err = spec.commandLine().getErr();
    try {
      return submit();
    } catch (DaemonClient.Failure f) {
      err.println("plasm: submit: " + f.getMessage());
      err.flush();
      return f.exitCode;
    } catch (ConfigurationException e) {
      err.println("plasm: " + e.getMessage());
      err.flush();
      return ExitCodes.USAGE;
    }
  }

  private int submit() {
    List<String> guestArgs = !args.isEmpty() && args.get(0).equals("--") ? args.subList(1, args.size()) : args;
    byte[] bytes;
    byte[] in;
    try {
      bytes = Files.readAllBytes(module);
      in = stdin == null ? new byte[0] : Files.readAllBytes(stdin);
    } catch (NoSuchFileException e) {
      throw new DaemonClient.Failure(ExitCodes.NO_INPUT, e.getFile() + ": no such file");
    } catch (IOException e) {
      throw new DaemonClient.Failure(ExitCodes.NO_INPUT, "cannot read: " + e.getMessage());
    }
    ObjectNode req = DaemonClient.JSON.createObjectNode();
    ObjectNode limits = DaemonClient.JSON.createObjectNode();
    if (maxMemory != null) limits.put("maxMemoryBytes", ByteSize.parse("--max-memory", maxMemory));
    if (timeout != null) limits.put("timeoutMillis", Durations.parse("--timeout", timeout).toMillis());
    if (fuel != null) limits.put("fuel", fuel);
    if (maxOutput != null) limits.put("maxOutputBytes", ByteSize.parse("--max-output", maxOutput));
    if (maxModuleSize != null) limits.put("maxModuleBytes", ByteSize.parse("--max-module-size", maxModuleSize));
    if (maxTableElements != null) limits.put("maxTableElements", maxTableElements);
    DaemonClient c = new DaemonClient(client, main.streams.env());
    String sha = c.postBytes("/v1/modules", bytes).get("sha256").asString();
    req.put("module", sha);
    req.put("programName", module.getFileName().toString());
    req.set("args", DaemonClient.JSON.valueToTree(guestArgs));
    ObjectNode envNode = req.putObject("env");
    for (String e : env) {
      int eq = e.indexOf('=');
      if (eq <= 0) {
        throw new ConfigurationException("--env", "--env '" + e + "': write NAME=VALUE");
      }
      envNode.put(e.substring(0, eq), e.substring(eq + 1));
    }
    if (in.length > 0) req.put("stdinBase64", Base64.getEncoder().encodeToString(in));
    if (!limits.isEmpty()) req.set("limits", limits);
    if (engine != null) req.put("engine", engine);
    if (deterministic) req.put("deterministic", true);
    if (nonce != null) req.put("nonce", nonce);
    if (idempotencyKey != null) req.put("idempotencyKey", idempotencyKey);
    // With --wait a short job's result comes back with the submission itself.
    JsonNode job = c.postJson(await && !follow ? "/v1/jobs?wait=30s" : "/v1/jobs", req.toString());
    String id = job.get("id").asString();
    PrintWriter out = spec.commandLine().getOut();
    if (!await && !follow) {
      out.println(client.json ? job.toPrettyString() : id);
      out.flush();
      return ExitCodes.OK;
    }
    JobCommand.Output output = new JobCommand.Output(c, id, main.streams);
    if (follow) {
      while (!DaemonClient.terminal(job = c.getJson("/v1/jobs/" + id + "/wait?timeout=1s"))) {
        output.pump();
      }
    } else {
      job = DaemonClient.terminal(job) ? job : c.await(id);
    }
    if (receipt != null && job.has("receipt") && job.get("receipt").asBoolean()) {
      try {
        Files.write(receipt, c.getBytes("/v1/jobs/" + id + "/receipt"));
      } catch (IOException e) {
        spec.commandLine().getErr().println("plasm: cannot write the receipt to " + receipt + ": " + e.getMessage());
      }
    }
    if (client.json) {
      out.println(job.toPrettyString());
      out.flush();
    } else {
      output.pump();
      String d = DaemonClient.describe(job);
      if (d != null) {
        spec.commandLine().getErr().println("plasm: " + module.getFileName() + ": " + d);
        spec.commandLine().getErr().flush();
      }
    }
    return DaemonClient.exitCode(job);
  }
}
