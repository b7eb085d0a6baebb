package dev.plasm.host;

import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.ResourceLimits;
import dev.plasm.api.Usage;
import dev.plasm.engine.spi.Determinism;
import dev.plasm.identity.NodeIdentity;
import dev.plasm.job.JobPlan;
import dev.plasm.receipt.spi.Receipt;
import dev.plasm.receipt.spi.ReceiptCodec;
import dev.plasm.receipt.spi.ReceiptScheme;
import dev.plasm.receipt.spi.Signer;
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
   * Builds and signs the receipt of a job that ran (to any outcome, also one decided around the
   * engine: cancelled, interrupted, killed at a limit).
   *
   * @param plan the job as admitted (inputs, limits, nonce)
   * @param determinism the recorded world of a deterministic job, else null
   * @param jobId the job's id
   */
  public static Receipt issue(
      JobPlan plan,
      Determinism determinism,
      JobResult result,
      String jobId,
      NodeIdentity identity,
      ReceiptScheme scheme) {
    // The engine planned is the engine that ran: the sandbox refuses to run a plan on another
    // version.
    Receipt.Settings settings =
        settings(plan.engine().id(), plan.engine().version(), plan.limits(), determinism);
    Receipt unsigned =
        new Receipt(
            Receipt.VERSION,
            scheme.id(),
            jobId,
            plan.nonce(),
            digest(result.module()),
            new Receipt.Inputs(
                plan.programName(),
                argsSha256(plan.args()),
                envSha256(plan.env()),
                digest(result.stdin())),
            settings,
            ReceiptCodec.sha256OfCanonical(ReceiptCodec.settings(settings)),
            outcome(result.outcome()),
            digest(result.stdout()),
            digest(result.stderr()),
            usage(result.outcome().usage()),
            time(result.startedAt()),
            time(result.finishedAt()),
            new Receipt.Signer(identity.peerId().toString(), identity.publicKeyBase64()),
            null);
    byte[] sig = scheme.sign(signer(identity), ReceiptCodec.signingBytes(unsigned));
    return unsigned.withSignature(Base64.getEncoder().encodeToString(sig));
  }

  /** The node identity as the receipt SPI sees a key: its Ed25519 public key and signing. */
  public static Signer signer(NodeIdentity identity) {
    return new Signer() {
      @Override
      public String algorithm() {
        return "ed25519";
      }

      @Override
      public byte[] publicKey() {
        return identity.publicKey().data();
      }

      @Override
      public byte[] sign(byte[] message) {
        return identity.sign(message);
      }
    };
  }

  static Receipt.Digest digest(StreamDigest d) {
    return new Receipt.Digest(d.sha256(), d.bytes());
  }

  public static String argsSha256(List<String> args) {
    return ReceiptCodec.sha256OfStrings(args);
  }

  public static String envSha256(Map<String, String> env) {
    List<String> pairs = new ArrayList<>();
    env.forEach((k, v) -> pairs.add(k + "=" + v));
    return ReceiptCodec.sha256OfStrings(pairs);
  }

  static Receipt.Settings settings(
      String engineId, String engineVersion, ResourceLimits l, Determinism det) {
    Map<String, Long> limits = l.byJsonName();
    Receipt.Deterministic d =
        det == null
            ? null
            : new Receipt.Deterministic(
                det.clockEpochMicros(), HexFormat.of().formatHex(det.randomSeed()));
    return new Receipt.Settings(
        engineId, engineVersion, det == null ? "default" : "deterministic", limits, d);
  }

  /** The receipt form of an outcome. */
  public static Receipt.Outcome outcome(ExecutionOutcome o) {
    return switch (o) {
      case ExecutionOutcome.Completed c -> new Receipt.Outcome("completed", c.exitCode(), null);
      case ExecutionOutcome.Trapped t -> new Receipt.Outcome("trapped", null, t.kind().id());
      case ExecutionOutcome.LimitExceeded l ->
          new Receipt.Outcome("limit-exceeded", null, l.limit().id());
      case ExecutionOutcome.Rejected r -> new Receipt.Outcome("rejected", null, r.kind().id());
      case ExecutionOutcome.Failed f -> new Receipt.Outcome("failed", null, null);
      case ExecutionOutcome.Cancelled c -> new Receipt.Outcome("cancelled", null, null);
      case ExecutionOutcome.Interrupted i -> new Receipt.Outcome("interrupted", null, null);
    };
  }

  static Receipt.Usage usage(Usage u) {
    return new Receipt.Usage(
        u.wallTime().toNanos() / 1000,
        u.peakMemoryPages(),
        u.fuelConsumed().isPresent() ? u.fuelConsumed().getAsLong() : null);
  }

  static String time(Instant t) {
    return TIME.format(t);
  }
}
