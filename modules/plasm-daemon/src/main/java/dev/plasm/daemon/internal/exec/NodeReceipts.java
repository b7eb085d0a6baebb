package dev.plasm.daemon.internal.exec;

import dev.plasm.api.ExecutionOutcome;
import dev.plasm.daemon.internal.store.JobRecord;
import dev.plasm.daemon.internal.store.JobStore;
import dev.plasm.engine.spi.EngineDescriptor;
import dev.plasm.host.EngineInfo;
import dev.plasm.host.EngineRegistry;
import dev.plasm.host.JobResult;
import dev.plasm.host.ReceiptIssuer;
import dev.plasm.host.StreamDigest;
import dev.plasm.identity.NodeIdentity;
import dev.plasm.job.JobPlan;
import dev.plasm.receipt.spi.ReceiptCodec;
import dev.plasm.receipt.spi.ReceiptScheme;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Optional;

/**
 * Receipts the daemon signs itself, for jobs that started but whose worker could not report: killed
 * at a deadline or a memory cap, cancelled, stopped by a shutdown, lost in a crash. Such a receipt
 * states the outcome the node decided, the output as the store holds it (what a client can fetch), the
 * whole stdin given (the guest may have read less: nobody counted), and the wall time the node
 * measured. docs/receipts.md says so.
 */
public final class NodeReceipts {
  private final NodeIdentity identity;
  private final ReceiptScheme scheme;
  private final EngineRegistry registry;

  public NodeReceipts(NodeIdentity identity, ReceiptScheme scheme, EngineRegistry registry) {
    this.identity = identity;
    this.scheme = scheme;
    this.registry = registry;
  }

  /**
   * Signs the receipt of a job that ended with {@code outcome}, stating its parts as the store holds
   * them; null when it cannot (the job's engine is gone: nothing true could be said about it).
   */
  public byte[] issue(
      JobRecord r, JobStore store, ExecutionOutcome outcome, Instant startedAt, Instant finishedAt)
      throws IOException {
    JobPlan p = r.plan();
    Optional<EngineInfo> engine = registry.find(p.engine().id());
    EngineDescriptor d = engine.map(EngineInfo::descriptor).orElse(null);
    if (d == null) {
      return null; // the engine is gone (a plugin removed across a restart): nothing true to say
      // about it
    }
    JobResult result =
        new JobResult(
            outcome,
            d,
            new StreamDigest(p.moduleSha256(), p.moduleBytes()),
            digest(store, r.id(), JobStore.Part.STDIN),
            digest(store, r.id(), JobStore.Part.STDOUT),
            digest(store, r.id(), JobStore.Part.STDERR),
            startedAt,
            finishedAt);
    var receipt = ReceiptIssuer.issue(p, r.determinism(), result, r.id(), identity, scheme);
    return ReceiptCodec.toJson(receipt).getBytes(StandardCharsets.UTF_8);
  }

  private static StreamDigest digest(JobStore store, String id, JobStore.Part part)
      throws IOException {
    JobStore.DigestOf d = store.digest(id, part);
    return new StreamDigest(d.sha256(), d.bytes());
  }
}
