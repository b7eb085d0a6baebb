package dev.plasm.daemon.internal.worker;

import dev.plasm.daemon.internal.store.Json;
import dev.plasm.engine.spi.Determinism;
import dev.plasm.job.JobJson;
import dev.plasm.job.JobPlan;
import java.util.HexFormat;
import java.util.Objects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * One job for a worker process: a single line of JSON on the worker's stdin. The worker runs the
 * plan as it is; it chooses nothing.
 *
 * @param modulePath the module file in the daemon's module store
 * @param plan the job as the daemon admitted it
 * @param determinism the recorded world of a deterministic job, else null
 * @param jobDir where the worker reads {@code stdin} and writes {@code stdout}, {@code stderr},
 *     {@code receipt.json} and {@code result.json}
 */
public record WorkerSpec(String jobId, String modulePath, JobPlan plan, Determinism determinism, String jobDir) {
  public WorkerSpec {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(modulePath, "modulePath");
    Objects.requireNonNull(plan, "plan");
    Objects.requireNonNull(jobDir, "jobDir");
  }

  /** The protocol line (without its newline). */
  public String toLine() {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("jobId", jobId);
    o.put("modulePath", modulePath);
    o.set("plan", JobJson.tree(plan));
    if (determinism != null) {
      o.putObject("determinism").put("clockEpochMicros", determinism.clockEpochMicros())
          .put("randomSeed", HexFormat.of().formatHex(determinism.randomSeed()));
    }
    o.put("jobDir", jobDir);
    return Json.LINE.writeValueAsString(o);
  }

  public static WorkerSpec parse(String line) {
    JsonNode o = Json.MAPPER.readTree(line);
    JsonNode d = o.get("determinism");
    return new WorkerSpec(o.get("jobId").asString(), o.get("modulePath").asString(), JobJson.plan(o.get("plan")),
        d == null ? null : new Determinism(d.get("clockEpochMicros").asLong(), HexFormat.of().parseHex(d.get("randomSeed").asString())),
        o.get("jobDir").asString());
  }
}
