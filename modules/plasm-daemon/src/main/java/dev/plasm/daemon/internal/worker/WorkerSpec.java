package dev.plasm.daemon.internal.worker;

import dev.plasm.daemon.internal.store.JobRecord;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One job for a worker process: a single line of JSON on the worker's stdin.
 *
 * @param modulePath the module file in the daemon's module store
 * @param jobDir where the worker reads {@code stdin} and writes {@code stdout}, {@code stderr},
 *     {@code receipt.json} and {@code result.json}
 */
public record WorkerSpec(
    String jobId,
    String modulePath,
    String programName,
    List<String> args,
    Map<String, String> env,
    JobRecord.Limits limits,
    String engine,
    String nonce,
    boolean deterministic,
    String jobDir) {
  public WorkerSpec {
    Objects.requireNonNull(jobId, "jobId");
    Objects.requireNonNull(modulePath, "modulePath");
    Objects.requireNonNull(jobDir, "jobDir");
    args = List.copyOf(args);
    env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
  }
}
