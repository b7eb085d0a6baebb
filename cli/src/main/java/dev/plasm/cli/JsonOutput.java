package dev.plasm.cli;

import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.ResourceLimits;
import dev.plasm.api.Usage;
import dev.plasm.engine.spi.EngineDescriptor;
import dev.plasm.host.EngineInfo;
import dev.plasm.host.PluginProblem;
import dev.plasm.job.JobJson;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The JSON documents the CLI prints with {@code --json}; their fields are documented in
 * docs/cli.md and only ever added to.
 */
final class JsonOutput {
  private static final JsonMapper MAPPER = JsonMapper.builder().build();

  private JsonOutput() {}

  static String runResult(
      String module,
      EngineDescriptor engine,
      ResourceLimits limits,
      ExecutionOutcome outcome,
      int processExitCode,
      ByteArrayOutputStream out,
      ByteArrayOutputStream err,
      dev.plasm.receipt.spi.Receipt receipt) {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("module", module);
    if (engine != null) {
      ObjectNode e = root.putObject("engine");
      e.put("id", engine.id());
      e.put("version", engine.version());
    }
    root.put("outcome", outcome.id());
    switch (outcome) {
      case ExecutionOutcome.Completed c -> root.put("exitCode", c.exitCode());
      case ExecutionOutcome.Trapped t -> {
        root.put("trap", t.kind().id());
        root.put("message", t.message());
      }
      case ExecutionOutcome.LimitExceeded l -> {
        root.put("limit", l.limit().id());
        root.put("message", l.message());
      }
      case ExecutionOutcome.Rejected r -> {
        root.put("rejection", r.kind().id());
        root.put("message", r.message());
      }
      case ExecutionOutcome.Failed f -> root.put("message", f.message());
      case ExecutionOutcome.Cancelled c -> root.put("message", c.message());
      case ExecutionOutcome.Interrupted i -> root.put("message", i.message());
    }
    root.put("processExitCode", processExitCode);
    byte[] o = out == null ? new byte[0] : out.toByteArray();
    byte[] e = err == null ? new byte[0] : err.toByteArray();
    root.put("stdout", new String(o, StandardCharsets.UTF_8));
    root.put("stderr", new String(e, StandardCharsets.UTF_8));
    // Output that is not UTF-8 text cannot survive a JSON string: give its exact bytes too.
    if (!utf8(o)) {
      root.put("stdoutBase64", java.util.Base64.getEncoder().encodeToString(o));
    }
    if (!utf8(e)) {
      root.put("stderrBase64", java.util.Base64.getEncoder().encodeToString(e));
    }
    Usage u = outcome.usage();
    ObjectNode usage = root.putObject("usage");
    usage.put("wallTimeMillis", u.wallTime().toNanos() / 1e6);
    usage.put("peakMemoryPages", u.peakMemoryPages());
    usage.put("peakMemoryBytes", u.peakMemoryPages() * ResourceLimits.PAGE_SIZE);
    if (u.fuelConsumed().isPresent()) {
      usage.put("fuelConsumed", u.fuelConsumed().getAsLong());
    }
    usage.put("stdoutBytes", u.stdoutBytes());
    usage.put("stderrBytes", u.stderrBytes());
    root.set("limits", JobJson.limits(limits));
    if (receipt != null) {
      root.set("receipt", dev.plasm.receipt.spi.ReceiptCodec.toTree(receipt));
    }
    return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root);
  }

  private static boolean utf8(byte[] b) {
    try {
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(java.nio.charset.CodingErrorAction.REPORT)
          .onUnmappableCharacter(java.nio.charset.CodingErrorAction.REPORT)
          .decode(java.nio.ByteBuffer.wrap(b));
      return true;
    } catch (java.nio.charset.CharacterCodingException ex) {
      return false;
    }
  }

  static String error(String code, String field, String message, int processExitCode) {
    ObjectNode root = MAPPER.createObjectNode();
    ObjectNode e = root.putObject("error");
    e.put("code", code);
    e.put("field", field);
    e.put("message", message);
    root.put("processExitCode", processExitCode);
    return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root);
  }

  static String plugins(
      List<dev.plasm.host.PluginInfo> plugins, List<String> dirs, List<PluginProblem> problems) {
    ObjectNode root = MAPPER.createObjectNode();
    ArrayNode d = root.putArray("directories");
    dirs.forEach(d::add);
    ArrayNode list = root.putArray("plugins");
    for (var p : plugins) {
      ObjectNode n = list.addObject();
      n.put("source", p.source());
      ArrayNode m = n.putArray("modules");
      p.modules().forEach(m::add);
      ArrayNode e = n.putArray("engines");
      p.engines().forEach(e::add);
      ArrayNode t = n.putArray("transports");
      p.transports().forEach(t::add);
      ArrayNode r = n.putArray("receiptSchemes");
      p.receiptSchemes().forEach(r::add);
    }
    ArrayNode pr = root.putArray("problems");
    for (PluginProblem pp : problems) {
      ObjectNode n = pr.addObject();
      n.put("source", pp.source());
      n.put("message", pp.message());
    }
    return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root);
  }

  static String identity(String peerId, String publicKey, String file) {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("peerId", peerId);
    root.put("publicKey", publicKey);
    root.put("keyType", "ed25519");
    root.put("file", file);
    return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root);
  }

  static String verification(
      dev.plasm.host.ReceiptVerifier.Report report,
      java.util.List<dev.plasm.host.ReceiptVerifier.Check> extra,
      int code) {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("wellFormed", report.wellFormed());
    root.put(
        "authentic",
        report.authentic()
            && extra.stream().allMatch(dev.plasm.host.ReceiptVerifier.Check::passed));
    root.put("trusted", report.passed());
    if (report.receipt() != null) {
      root.put("jobId", report.receipt().jobId());
      root.put("signer", report.receipt().signer().peerId());
    }
    ArrayNode checks = root.putArray("checks");
    for (var c : report.checks()) {
      ObjectNode n = checks.addObject();
      n.put("name", c.name());
      n.put("passed", c.passed());
      n.put("detail", c.detail());
    }
    for (var c : extra) {
      ObjectNode n = checks.addObject();
      n.put("name", c.name());
      n.put("passed", c.passed());
      n.put("detail", c.detail());
    }
    root.put("processExitCode", code);
    return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root);
  }

  static String engines(List<EngineInfo> engines, String defaultId, List<PluginProblem> problems) {
    ObjectNode root = MAPPER.createObjectNode();
    root.put("default", defaultId);
    ArrayNode list = root.putArray("engines");
    for (EngineInfo info : engines) {
      EngineDescriptor d = info.descriptor();
      ObjectNode n = list.addObject();
      n.put("id", d.id());
      n.put("version", d.version());
      n.put("description", d.description());
      n.put("mode", d.mode().id());
      ArrayNode enforced = n.putArray("enforcedLimits");
      d.enforcedLimits().stream().map(x -> x.id()).sorted().forEach(enforced::add);
      ArrayNode caps = n.putArray("capabilities");
      d.capabilities().stream().map(x -> x.id()).sorted().forEach(caps::add);
      n.put("module", info.module());
      n.put("source", info.source());
    }
    ArrayNode p = root.putArray("problems");
    for (PluginProblem pp : problems) {
      ObjectNode n = p.addObject();
      n.put("source", pp.source());
      n.put("message", pp.message());
    }
    return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(root);
  }
}
