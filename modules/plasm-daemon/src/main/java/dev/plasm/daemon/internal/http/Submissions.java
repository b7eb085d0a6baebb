package dev.plasm.daemon.internal.http;

import dev.plasm.api.ConfigurationException;
import dev.plasm.api.Limit;
import dev.plasm.api.LimitValueException;
import dev.plasm.daemon.DaemonConfig;
import dev.plasm.daemon.internal.exec.JobRunner;
import dev.plasm.daemon.internal.exec.Metrics;
import dev.plasm.daemon.internal.log.Log;
import dev.plasm.daemon.internal.store.JobRecord;
import dev.plasm.daemon.internal.store.JobStore;
import dev.plasm.daemon.internal.store.ModuleStore;
import dev.plasm.engine.spi.Determinism;
import dev.plasm.host.Admission;
import dev.plasm.job.JobJson;
import dev.plasm.job.JobManifest;
import dev.plasm.job.JobManifest.ModuleSource;
import dev.plasm.job.JobManifest.StdinSource;
import dev.plasm.job.JobPlan;
import dev.plasm.job.ManifestException;
import dev.plasm.job.Placement;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import tools.jackson.databind.node.ObjectNode;

/**
 * Admission of {@code POST /v1/jobs}: the manifest read strictly ({@link JobJson}), the module
 * found or stored, the job admitted into a plan ({@link Admission}: limits within the node's,
 * engine chosen), idempotency keys honoured, a place in the queue reserved, and the record made
 * durable before the job is queued.
 */
final class Submissions {
  /** The job as accepted; {@code existing} when an idempotency key found an earlier one. */
  record Accepted(JobRecord record, boolean existing) {}

  private static final SecureRandom RANDOM = new SecureRandom();

  private final DaemonConfig config;
  private final JobStore store;
  private final ModuleStore modules;
  private final JobRunner runner;
  private final Metrics metrics;
  private final Admission admission;
  private final Log log;
  private final Object[] idempotencyLocks = new Object[64];

  Submissions(DaemonConfig config, JobStore store, ModuleStore modules, JobRunner runner, Metrics metrics,
      Admission admission, Log log) {
    this.config = config;
    this.store = store;
    this.modules = modules;
    this.runner = runner;
    this.metrics = metrics;
    this.admission = admission;
    this.log = log;
    for (int i = 0; i < idempotencyLocks.length; i++) {
      idempotencyLocks[i] = new Object();
    }
  }

  /** Reads a manifest as {@code POST /v1/jobs} takes it; errors become API errors naming the field. */
  static JobManifest manifest(byte[] body) {
    try {
      return JobJson.manifest(body, JobJson.Source.HTTP);
    } catch (ManifestException e) {
      throw new ApiException(400, e.problem().code(), e.fieldOrNull(), e.getMessage());
    }
  }

  Accepted submit(byte[] body) throws IOException {
    JobManifest m = manifest(body);
    if (m.placement().kind() != Placement.Kind.LOCAL && m.placement().kind() != Placement.Kind.ANY) {
      throw ApiException.invalid("placement", "placement '" + m.placement().text()
          + "' needs jobs across peers, which this node does not run yet; use local or any");
    }
    if (m.redundancy() != 1) {
      throw ApiException.invalid("redundancy", "redundancy " + m.redundancy()
          + " needs jobs across peers, which this node does not run yet; use 1");
    }
    long maxModule = admission.policy().caps().getOrDefault(Limit.MODULE_SIZE, Limit.MODULE_SIZE.max());
    String sha;
    long moduleBytes;
    switch (m.module()) {
      case ModuleSource.ByHash h -> {
        sha = h.sha256();
        if (!modules.has(sha)) {
          throw ApiException.notFound("module", "no module " + sha + " on this node; upload it with POST /v1/modules");
        }
        moduleBytes = Files.size(modules.path(sha));
      }
      case ModuleSource.Inline i -> {
        byte[] bytes = i.bytes();
        if (bytes.length > maxModule) {
          throw new ApiException(413, "payload-too-large", "moduleBase64",
              "the module is " + bytes.length + " bytes, over the " + maxModule + "-byte module size limit");
        }
        if (bytes.length < 4 || !Arrays.equals(bytes, 0, 4, ModuleRoutes.WASM_MAGIC, 0, 4)) {
          throw ApiException.badRequest("not-wasm", "moduleBase64", "the module is not a WebAssembly binary (it must start with \\0asm)");
        }
        ModuleStore.Stored s = modules.put(bytes);
        sha = s.sha256();
        moduleBytes = s.bytes();
      }
      case ModuleSource.ByPath p -> throw new AssertionError("the HTTP form has no modulePath");
    }
    byte[] stdin = m.stdin() instanceof StdinSource.Inline in ? in.bytes() : new byte[0];
    JobPlan plan;
    try {
      plan = admission.admit(m, new Admission.ModuleInfo(sha, moduleBytes), sha.substring(0, 12) + ".wasm", stdin.length);
    } catch (LimitValueException e) {
      String f = e.field();
      throw ApiException.invalid(f, e.messageFor(f));
    } catch (ConfigurationException e) {
      throw ApiException.invalid(e.field(), e.field() + ": " + e.getMessage());
    }
    if (moduleBytes > plan.limits().maxModuleBytes()) {
      throw ApiException.invalid("limits.maxModuleBytes",
          "the module is " + moduleBytes + " bytes, over the job's " + plan.limits().maxModuleBytes() + "-byte module size limit");
    }
    String key = m.idempotencyKey();
    String requestSha = requestHash(m, sha, stdin);

    // Submissions with the same idempotency key are serialized (the second must see the first);
    // all others run in parallel, disk writes included.
    JobRecord r;
    synchronized (key == null ? new Object() : idempotencyLock(key)) {
      if (key != null) {
        JobRecord existing = store.byIdempotencyKey(key);
        if (existing != null) {
          if (!requestSha.equals(existing.requestSha256())) {
            throw new ApiException(409, "idempotency-conflict", "idempotencyKey",
                "idempotencyKey '" + key + "' was used for job " + existing.id() + " with a different request");
          }
          return new Accepted(existing, true);
        }
      }
      if (!runner.reserve()) {
        metrics.queueFull();
        throw new ApiException(429, "queue-full", null,
            "the queue is full (" + config.jobs().queueCapacity() + " jobs waiting); retry later",
            Map.of("Retry-After", "1"));
      }
      try {
        r = JobRecord.queued(store.newId(), Instant.now(), plan, plan.deterministic() ? newDeterminism() : null, key,
            requestSha);
        store.create(r, stdin);
      } catch (IOException | RuntimeException e) {
        runner.unreserve();
        throw e;
      }
    }
    runner.enqueue(r.id());
    metrics.submitted();
    log.info("job accepted", "job", r.id(), "module", sha, "engine", plan.engine().id());
    return new Accepted(r, false);
  }

  /** The lock for an idempotency key: striped, so memory stays bounded however many keys come. */
  private Object idempotencyLock(String key) {
    return idempotencyLocks[Math.floorMod(key.hashCode(), idempotencyLocks.length)];
  }

  /** What makes two submissions the same request: the manifest with the module by hash and stdin by digest. */
  private static String requestHash(JobManifest m, String sha, byte[] stdin) {
    ObjectNode o = JobJson.tree(m.withModule(new ModuleSource.ByHash(sha)).withStdin(new StdinSource.None()));
    o.put("stdinSha256", HexFormat.of().formatHex(ModuleStore.sha256().digest(stdin)));
    return HexFormat.of().formatHex(ModuleStore.sha256().digest(o.toString().getBytes(StandardCharsets.UTF_8)));
  }

  /** The recorded world of a deterministic job: chosen once, at admission, and stated in its receipt. */
  static Determinism newDeterminism() {
    byte[] seed = new byte[32];
    RANDOM.nextBytes(seed);
    Instant now = Instant.now();
    return new Determinism(now.getEpochSecond() * 1_000_000L + now.getNano() / 1000, seed);
  }
}
