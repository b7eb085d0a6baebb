package dev.plasm.daemon.internal.http;

import dev.plasm.api.ConfigurationException;
import dev.plasm.api.Limit;
import dev.plasm.api.LimitValueException;
import dev.plasm.api.ResourceLimits;
import dev.plasm.daemon.DaemonConfig;
import dev.plasm.daemon.internal.exec.Intake;
import dev.plasm.daemon.internal.remote.RemoteNode;
import dev.plasm.daemon.internal.store.JobRecord;
import dev.plasm.daemon.internal.store.ModuleStore;
import dev.plasm.host.Admission;
import dev.plasm.job.JobJson;
import dev.plasm.job.JobManifest;
import dev.plasm.job.JobManifest.ModuleSource;
import dev.plasm.job.JobManifest.StdinSource;
import dev.plasm.job.JobPlan;
import dev.plasm.job.ManifestException;
import dev.plasm.job.Placement;
import dev.plasm.job.Verify;
import java.io.IOException;
import java.nio.file.Files;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * {@code POST /v1/jobs}: the manifest read strictly ({@link JobJson}), the module found or stored,
 * then where the job runs decided by its {@code placement}: here ({@link Intake}), or on other nodes
 * ({@link RemoteNode}). Refusals become API errors naming the field.
 */
final class Submissions {
  /** The job as accepted; {@code existing} when an idempotency key found an earlier one. */
  record Accepted(JobRecord record, boolean existing) {}

  private final DaemonConfig config;
  private final ModuleStore modules;
  private final Intake intake;
  private final Admission forOthers;
  private final Supplier<RemoteNode> remote;
  private final String self;

  /**
   * @param remote the node's jobs-across-peers side, or null while p2p is off
   * @param self this node's peer id
   */
  Submissions(
      DaemonConfig config,
      ModuleStore modules,
      Intake intake,
      Admission forOthers,
      Supplier<RemoteNode> remote,
      String self) {
    this.config = config;
    this.modules = modules;
    this.intake = intake;
    this.forOthers = forOthers;
    this.remote = remote;
    this.self = self;
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
    return submit(body, false);
  }

  /**
   * Takes a job; {@code answerLater}: the caller answers only when the job ends or its wait runs
   * out, and makes the job durable first ({@link dev.plasm.daemon.internal.store.JobStore#awaitDurable}),
   * so a job run here needs no forced write of its own before it is queued.
   */
  Accepted submit(byte[] body, boolean answerLater) throws IOException {
    JobManifest m = manifest(body);
    if (m.verify() == Verify.REEXECUTE && !m.deterministic()) {
      throw ApiException.invalid(
          "verify",
          "verify: reexecute needs a deterministic job (\"deterministic\": true): only a "
              + "job with recorded clocks and random can be run again and compared");
    }
    Placement where = m.placement();
    if (where.kind() == Placement.Kind.PEER && where.peerId().equals(self)) {
      where = Placement.LOCAL; // pinned to this node
    }
    if (where.kind() == Placement.Kind.LOCAL && m.redundancy() > 1) {
      throw ApiException.invalid(
          "redundancy",
          "redundancy "
              + m.redundancy()
              + " runs the job on several nodes; use placement "
              + "remote or any");
    }
    if (m.redundancy() > 1 && remote.get() == null) {
      throw new ApiException(
          409,
          "p2p-disabled",
          "redundancy",
          "redundancy "
              + m.redundancy()
              + " runs the job on several "
              + "nodes, which needs the peer-to-peer network: set 'enabled = true' under [p2p] in the daemon's config and restart it");
    }
    long maxModule = config.limits().maxModuleBytes();
    String sha;
    long moduleBytes;
    switch (m.module()) {
      case ModuleSource.ByHash h -> {
        sha = h.sha256();
        if (!modules.has(sha)) {
          throw ApiException.notFound(
              "module", "no module " + sha + " on this node; upload it with POST /v1/modules");
        }
        moduleBytes = Files.size(modules.path(sha));
      }
      case ModuleSource.Inline i -> {
        byte[] bytes = i.bytes();
        if (bytes.length > maxModule) {
          throw new ApiException(
              413,
              "payload-too-large",
              "moduleBase64",
              Limit.MODULE_SIZE.over("the module", bytes.length, maxModule)
                  + " (this node's limits.module-size)");
        }
        if (bytes.length < 4 || !Arrays.equals(bytes, 0, 4, ModuleRoutes.WASM_MAGIC, 0, 4)) {
          throw ApiException.badRequest(
              "not-wasm",
              "moduleBase64",
              "the module is not a WebAssembly binary (it must start with \\0asm)");
        }
        ModuleStore.Stored s = modules.put(bytes);
        sha = s.sha256();
        moduleBytes = s.bytes();
        RemoteNode r = remote.get();
        if (s.created() && r != null) {
          r.announceModule(sha);
        }
      }
      case ModuleSource.ByPath p -> throw new AssertionError("the HTTP form has no modulePath");
    }
    JobManifest byHash = m.withModule(new ModuleSource.ByHash(sha));
    byte[] stdin = m.stdin() instanceof StdinSource.Inline in ? in.bytes() : new byte[0];
    boolean elsewhere =
        switch (where.kind()) {
          case LOCAL -> false;
          case REMOTE, PEER -> true;
          // Elsewhere only when there is an elsewhere: without p2p the job is this node's to
          // refuse, naming the field.
          case ANY ->
              remote.get() != null && (m.redundancy() > 1 || !runsHere(byHash, sha, moduleBytes));
        };
    try {
      if (!elsewhere) {
        Intake.Accepted a = intake.accept(byHash, moduleBytes, stdin, null, null, answerLater);
        return new Accepted(a.record(), a.existing());
      }
      return dispatch(byHash.withPlacement(where), sha, moduleBytes, stdin);
    } catch (Intake.Refusal e) {
      throw switch (e.kind()) {
        case BUSY ->
            new ApiException(429, "queue-full", null, e.getMessage(), Map.of("Retry-After", "1"));
        case CONFLICT -> new ApiException(409, "idempotency-conflict", e.field(), e.getMessage());
        case INVALID -> ApiException.invalid(e.field(), e.getMessage());
      };
    }
  }

  /** Whether this node could run the job itself (placement any runs it here when it can). */
  private boolean runsHere(JobManifest m, String sha, long moduleBytes) {
    try {
      intake.admission().admit(m, new Admission.ModuleInfo(sha, moduleBytes), "x.wasm", 0);
      return true;
    } catch (ConfigurationException e) {
      return false;
    }
  }

  private Accepted dispatch(JobManifest m, String sha, long moduleBytes, byte[] stdin)
      throws IOException {
    RemoteNode r = remote.get();
    if (r == null) {
      throw new ApiException(
          409,
          "p2p-disabled",
          "placement",
          "placement '"
              + m.placement().text()
              + "'"
              + (m.redundancy() > 1 ? " with redundancy " + m.redundancy() : "")
              + " sends the job to other nodes, which needs the "
              + "peer-to-peer network: set 'enabled = true' under [p2p] in the daemon's config (docs/config.md) and restart it");
    }
    // The limits asked for over this node's own defaults, each within Plasm's maximum: an executor
    // refuses what it will not give, and says so.
    JobPlan plan;
    try {
      plan =
          forOthers.forElsewhere(
              m,
              new Admission.ModuleInfo(sha, moduleBytes),
              sha.substring(0, 12) + ".wasm",
              stdin.length);
    } catch (LimitValueException e) {
      throw ApiException.invalid(e.field(), e.messageFor(e.field()));
    }
    ResourceLimits limits = plan.limits();
    if (moduleBytes > limits.maxModuleBytes()) {
      throw ApiException.invalid(
          "limits.maxModuleBytes",
          Limit.MODULE_SIZE.over("the module", moduleBytes, limits.maxModuleBytes())
              + " (the job's limits.maxModuleBytes)");
    }
    JobRecord.Dispatch d =
        new JobRecord.Dispatch(m.placement(), m.redundancy(), m.verify(), List.of(), List.of());
    Intake.Accepted a;
    try {
      a = intake.acceptForDispatch(m, plan, stdin, d, r::reserve, r::unreserve);
    } catch (Intake.Refusal e) {
      if (e.kind() == Intake.Refusal.Kind.BUSY) {
        throw new ApiException(
            429,
            "queue-full",
            null,
            "this node has "
                + config.remote().maxDispatch()
                + " jobs out on other nodes (remote.max-dispatch); retry later",
            Map.of("Retry-After", "1"));
      }
      throw e;
    }
    if (!a.existing()) {
      r.dispatch(a.record(), m);
    }
    return new Accepted(a.record(), a.existing());
  }
}
