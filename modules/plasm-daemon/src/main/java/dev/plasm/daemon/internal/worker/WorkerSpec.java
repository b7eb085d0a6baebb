package dev.plasm.daemon.internal.worker;

import dev.plasm.daemon.internal.store.Json;
import dev.plasm.engine.spi.Determinism;
import dev.plasm.job.JobJson;
import dev.plasm.job.JobPlan;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.HexFormat;
import java.util.Objects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * One job for a worker process: one {@link WorkerWire} frame on the worker's stdin. The worker runs
 * the plan as it is; it chooses nothing.
 *
 * @param modulePath the module file in the daemon's module store
 * @param plan the job as the daemon admitted it
 * @param determinism the recorded world of a deterministic job, else null
 * @param stdin the guest's stdin: its bytes, or where they are in a file
 * @param stdoutFile where the worker spills the job's stdout if it must (large, or a job that runs
 *     long enough to be followed); otherwise the output comes back in the reply
 * @param stderrFile the same for stderr
 */
public record WorkerSpec(
    String jobId,
    String modulePath,
    JobPlan plan,
    Determinism determinism,
    Stdin stdin,
    String stdoutFile,
    String stderrFile) {

  /** The guest's stdin: inline bytes, or a region of a file (a large stdin in the daemon's journal). */
  public record Stdin(byte[] bytes, String file, long offset, long length) {
    public static final Stdin NONE = new Stdin(new byte[0], null, 0, 0);

    public Stdin {
      if (bytes == null && (file == null || offset < 0 || length < 0)) {
        throw new IllegalArgumentException("stdin needs bytes or a file region");
      }
    }

    public static Stdin of(byte[] b) {
      return new Stdin(b, null, 0, b.length);
    }

    public static Stdin region(String file, long offset, long length) {
      return new Stdin(null, file, offset, length);
    }
  }

  public WorkerSpec {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(modulePath, "modulePath");
    Objects.requireNonNull(plan, "plan");
    Objects.requireNonNull(stdin, "stdin");
    Objects.requireNonNull(stdoutFile, "stdoutFile");
    Objects.requireNonNull(stderrFile, "stderrFile");
  }

  /** Writes the job's frame (without flushing). */
  public void write(DataOutputStream out) throws IOException {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("type", "job");
    o.put("jobId", jobId);
    o.put("modulePath", modulePath);
    o.set("plan", JobJson.tree(plan));
    if (determinism != null) {
      o.putObject("determinism")
          .put("clockEpochMicros", determinism.clockEpochMicros())
          .put("randomSeed", HexFormat.of().formatHex(determinism.randomSeed()));
    }
    if (stdin.bytes() == null) {
      o.putObject("stdin")
          .put("file", stdin.file())
          .put("offset", stdin.offset())
          .put("length", stdin.length());
    }
    o.put("stdoutFile", stdoutFile);
    o.put("stderrFile", stderrFile);
    if (stdin.bytes() != null) {
      WorkerWire.write(out, o, stdin.bytes());
    } else {
      WorkerWire.write(out, o);
    }
  }

  /** The job in a frame the daemon wrote. */
  public static WorkerSpec of(WorkerWire.Frame f) {
    JsonNode o = f.header();
    JsonNode d = o.get("determinism");
    JsonNode s = o.get("stdin");
    Stdin stdin =
        s != null
            ? Stdin.region(
                s.get("file").asString(), s.get("offset").asLong(), s.get("length").asLong())
            : f.parts().length > 0 ? Stdin.of(f.part(0)) : Stdin.NONE;
    return new WorkerSpec(
        o.get("jobId").asString(),
        o.get("modulePath").asString(),
        JobJson.plan(o.get("plan")),
        d == null
            ? null
            : new Determinism(
                d.get("clockEpochMicros").asLong(),
                HexFormat.of().parseHex(d.get("randomSeed").asString())),
        stdin,
        o.get("stdoutFile").asString(),
        o.get("stderrFile").asString());
  }
}
