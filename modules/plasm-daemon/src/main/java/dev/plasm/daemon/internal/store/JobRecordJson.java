package dev.plasm.daemon.internal.store;

import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.JobState;
import dev.plasm.api.Limit;
import dev.plasm.api.ResourceLimits;
import dev.plasm.api.Usage;
import dev.plasm.engine.spi.Determinism;
import dev.plasm.job.JobJson;
import dev.plasm.job.JobPlan;
import dev.plasm.job.Placement;
import dev.plasm.job.Verify;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The JSON of a job record: on disk ({@code job.json}, everything), in the API ({@code GET
 * /v1/jobs/{id}}: environment names only, no request hash), and in listings (no arguments or
 * environment, so a page's size does not depend on what submitters sent). One writer for all three.
 */
public final class JobRecordJson {
  private JobRecordJson() {}

  /** Which fields to write. */
  public enum View {
    DISK,
    FULL,
    SUMMARY
  }

  public static ObjectNode write(JobRecord r, View view) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    JobPlan p = r.plan();
    o.put("id", r.id());
    o.put("state", r.state().id());
    o.put("createdAt", r.createdAt().toString());
    if (r.startedAt() != null) {
      o.put("startedAt", r.startedAt().toString());
    }
    if (r.finishedAt() != null) {
      o.put("finishedAt", r.finishedAt().toString());
    }
    o.put("moduleSha256", p.moduleSha256());
    o.put("moduleBytes", p.moduleBytes());
    o.put("programName", p.programName());
    switch (view) {
      case DISK -> {
        p.args().forEach(o.putArray("args")::add);
        ObjectNode env = o.putObject("env");
        p.env().forEach(env::put);
      }
      case FULL -> {
        p.args().forEach(o.putArray("args")::add);
        p.env().keySet().forEach(o.putArray("envNames")::add);
      }
      case SUMMARY -> o.put("argCount", p.args().size());
    }
    o.put("stdinBytes", p.stdinBytes());
    o.set("limits", JobJson.limits(p.limits()));
    o.put("engine", p.engine().id());
    o.put("engineVersion", p.engine().version());
    if (p.nonce() != null) {
      o.put("nonce", p.nonce());
    }
    o.put("deterministic", p.deterministic());
    if (view == View.DISK && r.determinism() != null) {
      o.putObject("determinism")
          .put("clockEpochMicros", r.determinism().clockEpochMicros())
          .put("randomSeed", HexFormat.of().formatHex(r.determinism().randomSeed()));
    }
    if (r.idempotencyKey() != null) {
      o.put("idempotencyKey", r.idempotencyKey());
    }
    if (view == View.DISK && r.requestSha256() != null) {
      o.put("requestSha256", r.requestSha256());
    }
    if (r.outcome() != null) {
      o.set("outcome", JobJson.outcome(r.outcome()));
      o.set("usage", JobJson.usage(r.outcome().usage()));
      if (p.engine().chosen()) {
        // Not for a job sent to other nodes whose answer none was accepted: no engine ran it for
        // us.
        o.putObject("engineUsed").put("id", p.engine().id()).put("version", p.engine().version());
      }
    }
    if (r.reason() != null) {
      o.put("reason", r.reason());
    }
    o.put("receipt", r.receipt());
    if (r.dispatch() != null) {
      JobRecord.Dispatch d = r.dispatch();
      o.put("placement", d.placement().text());
      o.put("redundancy", d.redundancy());
      o.put("verify", d.verify().text());
      d.executedBy().forEach(o.putArray("executedBy")::add);
      ArrayNode attempts = o.putArray("attempts");
      for (JobRecord.Attempt a : d.attempts()) {
        ObjectNode n = attempts.addObject();
        n.put("peerId", a.peerId());
        n.put("startedAt", a.startedAt().toString());
        if (a.endedAt() != null) {
          n.put("endedAt", a.endedAt().toString());
        }
        n.put("result", a.result());
        if (a.detail() != null) {
          n.put("detail", a.detail());
        }
        if (a.executorJobId() != null) {
          n.put("executorJobId", a.executorJobId());
        }
      }
    }
    if (r.requester() != null) {
      o.putObject("requester")
          .put("peerId", r.requester().peerId())
          .put("jobId", r.requester().jobId());
    }
    return o;
  }

  /** A listing's entry: the summary, with the argument count of a job held without its arguments. */
  public static ObjectNode summary(JobStore.Entry e) {
    ObjectNode o = write(e.record(), View.SUMMARY);
    o.put("argCount", e.argCount());
    return o;
  }

  /** Bytes of {@code job.json}: one line. */
  public static byte[] disk(JobRecord r) {
    return Json.LINE.writeValueAsBytes(write(r, View.DISK));
  }

  /**
   * Reads {@code job.json}; also the form written before plans were stored (the engine as asked,
   * e.g. {@code auto}, with the one used in {@code engineUsed}; fewer limits).
   */
  public static JobRecord read(byte[] bytes) {
    JsonNode o = Json.MAPPER.readTree(bytes);
    String engineId = text(o, "engine");
    String engineVersion = text(o, "engineVersion");
    JsonNode used = o.get("engineUsed");
    if (engineVersion == null) {
      if (used != null) {
        engineId = used.get("id").asString();
        engineVersion = used.get("version").asString();
      } else {
        engineVersion = "unknown";
      }
    }
    Map<String, String> env = new LinkedHashMap<>();
    if (o.has("env")) {
      o.get("env").properties().forEach(e -> env.put(e.getKey(), e.getValue().asString()));
    }
    List<String> args = new ArrayList<>();
    if (o.has("args")) {
      o.get("args").forEach(a -> args.add(a.asString()));
    }
    JobPlan plan =
        new JobPlan(
            text(o, "moduleSha256"),
            o.get("moduleBytes").asLong(),
            text(o, "programName"),
            args,
            env,
            o.has("stdinBytes") ? o.get("stdinBytes").asLong() : 0,
            new JobPlan.Engine(engineId, engineVersion),
            limits(o.get("limits")),
            o.has("deterministic") && o.get("deterministic").asBoolean(),
            text(o, "nonce"));
    Determinism det = null;
    if (o.has("determinism")) {
      JsonNode d = o.get("determinism");
      det =
          new Determinism(
              d.get("clockEpochMicros").asLong(),
              HexFormat.of().parseHex(d.get("randomSeed").asString()));
    } else if (plan.deterministic()) {
      // A record from before the world was chosen at admission: the worker chose it; it is in the
      // receipt.
      det = new Determinism(0, new byte[32]);
    }
    ExecutionOutcome outcome = null;
    if (o.has("outcome")) {
      Usage usage = o.has("usage") ? JobJson.usage(o.get("usage"), "usage") : Usage.NONE;
      outcome = JobJson.outcome(withoutNulls(o.get("outcome")), usage, "outcome");
    }
    JobRecord.Dispatch dispatch = null;
    if (o.has("placement")) {
      List<JobRecord.Attempt> attempts = new ArrayList<>();
      if (o.has("attempts")) {
        for (JsonNode a : o.get("attempts")) {
          attempts.add(
              new JobRecord.Attempt(
                  text(a, "peerId"),
                  instant(a, "startedAt"),
                  instant(a, "endedAt"),
                  text(a, "result"),
                  text(a, "detail"),
                  text(a, "executorJobId")));
        }
      }
      List<String> by = new ArrayList<>();
      if (o.has("executedBy")) {
        o.get("executedBy").forEach(n -> by.add(n.asString()));
      }
      dispatch =
          new JobRecord.Dispatch(
              Placement.parse(text(o, "placement")),
              o.get("redundancy").asInt(),
              "reexecute".equals(text(o, "verify")) ? Verify.REEXECUTE : Verify.RECEIPT,
              attempts,
              by);
    }
    JobRecord.Requester requester = null;
    if (o.has("requester")) {
      requester =
          new JobRecord.Requester(
              text(o.get("requester"), "peerId"), text(o.get("requester"), "jobId"));
    }
    return new JobRecord(
        text(o, "id"),
        JobState.parse("state", text(o, "state")),
        Instant.parse(text(o, "createdAt")),
        instant(o, "startedAt"),
        instant(o, "finishedAt"),
        plan,
        det,
        text(o, "idempotencyKey"),
        text(o, "requestSha256"),
        outcome,
        text(o, "reason"),
        o.has("receipt") && o.get("receipt").asBoolean(),
        dispatch,
        requester);
  }

  /** Limits from a record: those written, and for limits added since, their defaults. */
  private static ResourceLimits limits(JsonNode node) {
    Map<Limit, Long> m = new EnumMap<>(Limit.class);
    ResourceLimits.DEFAULTS.values().forEach(m::put);
    for (Limit l : Limit.values()) {
      JsonNode v = node == null ? null : node.get(l.jsonName());
      if (v != null && !v.isNull()) {
        m.put(l, v.asLong());
      }
    }
    return new ResourceLimits(m);
  }

  private static JsonNode withoutNulls(JsonNode n) {
    ObjectNode copy = Json.MAPPER.createObjectNode();
    n.properties()
        .forEach(
            e -> {
              if (!e.getValue().isNull()) {
                copy.set(e.getKey(), e.getValue());
              }
            });
    return copy;
  }

  private static String text(JsonNode o, String f) {
    JsonNode v = o.get(f);
    return v == null || v.isNull() ? null : v.asString();
  }

  private static Instant instant(JsonNode o, String f) {
    String t = text(o, f);
    return t == null ? null : Instant.parse(t);
  }
}
