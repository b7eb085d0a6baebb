package dev.plasm.host;

import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.ResourceLimits;
import dev.plasm.api.Usage;
import dev.plasm.engine.spi.Determinism;
import dev.plasm.identity.NodeIdentity;
import dev.plasm.receipt.spi.Receipt;
import dev.plasm.receipt.spi.ReceiptCodec;
import dev.plasm.receipt.spi.ReceiptScheme;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/** Turns a finished job into a signed receipt. */
public final class ReceiptIssuer {
  private static final DateTimeFormatter TIME =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSS'Z'").withZone(ZoneOffset.UTC);

  private ReceiptIssuer() {}

  /**
   * Builds and signs the receipt of a job.
   *
   * @param jobId the job's id
   * @param nonce the requester's nonce, or null
   */
  public static Receipt issue(
      Job job, JobResult result, String jobId, String nonce, NodeIdentity identity, ReceiptScheme scheme) {
    Receipt unsigned =
        new Receipt(
            Receipt.VERSION,
            scheme.id(),
            jobId,
            nonce,
            digest(result.module()),
            inputs(job, result),
            settings(result.engine().id(), result.engine().version(), job.limits(), job.determinism()),
            ReceiptCodec.sha256OfCanonical(
                ReceiptCodec.settings(settings(result.engine().id(), result.engine().version(), job.limits(), job.determinism()))),
            outcome(result.outcome()),
            digest(result.stdout()),
            digest(result.stderr()),
            usage(result.outcome().usage()),
            time(result.startedAt()),
            time(result.finishedAt()),
            new Receipt.Signer(identity.peerId().toString(), identity.publicKeyBase64()),
            null);
    byte[] sig = scheme.sign(identity, ReceiptCodec.signingBytes(unsigned));
    return unsigned.withSignature(Base64.getEncoder().encodeToString(sig));
  }

  static Receipt.Digest digest(StreamDigest d) {
    return new Receipt.Digest(d.sha256(), d.bytes());
  }

  /** The inputs part of a receipt for a job's arguments and environment and the stdin it read. */
  static Receipt.Inputs inputs(Job job, JobResult result) {
    return new Receipt.Inputs(job.moduleName(), argsSha256(job.args()), envSha256(job.env()), digest(result.stdin()));
  }

  public static String argsSha256(List<String> args) {
    return ReceiptCodec.sha256OfStrings(args);
  }

  public static String envSha256(Map<String, String> env) {
    List<String> pairs = new ArrayList<>();
    env.forEach((k, v) -> pairs.add(k + "=" + v));
    return ReceiptCodec.sha256OfStrings(pairs);
  }

  static Receipt.Settings settings(String engineId, String engineVersion, ResourceLimits l, Determinism det) {
    Receipt.Limits limits =
        new Receipt.Limits(
            l.maxMemoryBytes(), l.maxTableElements(), l.timeout().toMillis(),
            l.fuel().isPresent() ? l.fuel().getAsLong() : null, l.maxOutputBytes(), l.maxModuleBytes());
    Receipt.Deterministic d =
        det == null ? null : new Receipt.Deterministic(det.clockEpochMicros(), HexFormat.of().formatHex(det.randomSeed()));
    return new Receipt.Settings(engineId, engineVersion, det == null ? "default" : "deterministic", limits, d);
  }

  /** The receipt form of an outcome. */
  public static Receipt.Outcome outcome(ExecutionOutcome o) {
    return switch (o) {
      case ExecutionOutcome.Completed c -> new Receipt.Outcome("completed", c.exitCode(), null);
      case ExecutionOutcome.Trapped t -> new Receipt.Outcome("trapped", null, t.kind().id());
      case ExecutionOutcome.LimitExceeded l -> new Receipt.Outcome("limit-exceeded", null, l.limit().id());
      case ExecutionOutcome.Rejected r -> new Receipt.Outcome("rejected", null, r.kind().id());
      case ExecutionOutcome.Failed f -> new Receipt.Outcome("failed", null, null);
    };
  }

  static Receipt.Usage usage(Usage u) {
    return new Receipt.Usage(
        u.wallTime().toNanos() / 1000, u.peakMemoryPages(), u.fuelConsumed().isPresent() ? u.fuelConsumed().getAsLong() : null);
  }

  static String time(Instant t) {
    return TIME.format(t);
  }
}
