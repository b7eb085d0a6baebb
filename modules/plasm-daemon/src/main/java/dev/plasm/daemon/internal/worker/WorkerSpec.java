package dev.plasm.daemon.internal.worker;

import dev.plasm.daemon.internal.store.JobRecord;
import java.util.List;
import java.util.Map;

/**
 * What the daemon gives a worker process ({@code spec.json} in the job's directory).
 *
 * @param jobDir where the worker reads {@code stdin} and writes {@code stdout}, {@code stderr},
 *     {@code receipt.json} and {@code result.json}
 * @param identityDir the directory holding the node's {@code identity.key}
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
    List<String> pluginDirs,
    String identityDir,
    String jobDir) {
  public WorkerSpec {
    args = List.copyOf(args);
    env = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(env));
    pluginDirs = List.copyOf(pluginDirs);
  }
}
