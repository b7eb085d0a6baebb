package dev.plasm.daemon.internal.worker;

import dev.plasm.daemon.internal.store.Json;
import dev.plasm.daemon.internal.store.WorkerResult;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Objects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A worker's answer to one job: one {@link WorkerWire} frame on its stdout with the job's result,
 * its output (unless spilled to the files the job named) and its signed receipt.
 *
 * @param jobId the job it ran
 * @param result how the job ended, with its times and why there is no receipt if there is none
 * @param rssBytes the worker's resident memory after the job, or -1 where unknown
 * @param cacheHits compiled modules the job took from the worker's cache (0 or 1)
 * @param cacheMisses modules the job had to compile (0 or 1)
 * @param stdout the guest's stdout, or null when it was spilled to the job's file (complete and on disk)
 * @param stderr the same for stderr
 * @param receipt the signed receipt (JSON), or null when none could be made
 * @param halting the worker ends itself after this reply (a guest its engine could not stop)
 */
public record WorkerReply(
    String jobId,
    WorkerResult result,
    long rssBytes,
    long cacheHits,
    long cacheMisses,
    byte[] stdout,
    byte[] stderr,
    byte[] receipt,
    boolean halting) {

  public WorkerReply {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(result, "result");
  }

  /** The frame type a worker sends once, first: it has loaded its engines and is ready for jobs. */
  public static final String READY = "ready";

  /** Writes the reply's frame (without flushing). */
  public void write(DataOutputStream out) throws IOException {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("type", "result");
    o.put("jobId", jobId);
    o.set("result", result.tree());
    o.put("rssBytes", rssBytes);
    o.put("cacheHits", cacheHits);
    o.put("cacheMisses", cacheMisses);
    o.put("stdoutSpilled", stdout == null);
    o.put("stderrSpilled", stderr == null);
    o.put("receipt", receipt != null);
    o.put("halting", halting);
    WorkerWire.write(
        out,
        o,
        stdout == null ? new byte[0] : stdout,
        stderr == null ? new byte[0] : stderr,
        receipt == null ? new byte[0] : receipt);
  }

  /** The reply in a frame a worker wrote. */
  public static WorkerReply of(WorkerWire.Frame f) {
    JsonNode o = f.header();
    if (f.parts().length != 3) {
      throw new IllegalArgumentException("a reply has 3 parts, not " + f.parts().length);
    }
    return new WorkerReply(
        o.get("jobId").asString(),
        WorkerResult.of(o.get("result")),
        o.get("rssBytes").asLong(),
        o.get("cacheHits").asLong(),
        o.get("cacheMisses").asLong(),
        o.get("stdoutSpilled").asBoolean() ? null : f.part(0),
        o.get("stderrSpilled").asBoolean() ? null : f.part(1),
        o.get("receipt").asBoolean() ? f.part(2) : null,
        o.get("halting").asBoolean());
  }
}
