package dev.plasm.cli;

import dev.plasm.engine.spi.Determinism;
import dev.plasm.host.Job;
import dev.plasm.host.JobResult;
import dev.plasm.host.ReceiptIssuer;
import dev.plasm.host.ReceiptSchemes;
import dev.plasm.identity.NodeIdentity;
import dev.plasm.receipt.spi.Receipt;
import dev.plasm.receipt.spi.ReceiptCodec;
import dev.plasm.receipt.spi.ReceiptScheme;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.UUID;

/** Issues the receipt of a {@code plasm run}: identity, ids, signing, writing the file. */
final class Receipts {
  private final NodeIdentity identity;
  private final ReceiptScheme scheme;
  private final String jobId;

  private Receipts(NodeIdentity identity, ReceiptScheme scheme, String jobId) {
    this.identity = identity;
    this.scheme = scheme;
    this.jobId = jobId;
  }

  /** Loads (or creates) the node identity and checks the job id before the job runs. */
  static Receipts prepare(Main main, String jobId) {
    String id = jobId == null ? UUID.randomUUID().toString() : jobId;
    checkId("--job-id", id);
    ReceiptScheme scheme = main.plugins().receiptSchemes().require(ReceiptSchemes.DEFAULT);
    return new Receipts(NodeIdentity.loadOrCreate(PlasmPaths.home(main.streams.env())), scheme, id);
  }

  private static void checkId(String flag, String value) {
    if (!value.matches("[A-Za-z0-9._:-]{1,128}")) {
      throw new dev.plasm.api.ConfigurationException(
          flag, flag + ": '" + value + "' must be 1-128 characters of A-Z a-z 0-9 . _ : -");
    }
  }

  /** Recorded clocks (starting now) and a fresh random seed for a deterministic run. */
  static Determinism newDeterminism() {
    byte[] seed = new byte[32];
    new SecureRandom().nextBytes(seed);
    Instant now = Instant.now();
    return new Determinism(now.getEpochSecond() * 1_000_000L + now.getNano() / 1000, seed);
  }

  Receipt issue(Job job, JobResult result) {
    return ReceiptIssuer.issue(job.plan(), job.determinism(), result, jobId, identity, scheme);
  }

  /** Writes the receipt next to its final place, then renames it, so readers never see half a file. */
  void write(Path file, Receipt receipt) throws IOException {
    Path abs = file.toAbsolutePath();
    Path tmp = Files.createTempFile(abs.getParent(), ".receipt", ".tmp");
    try {
      Files.writeString(tmp, ReceiptCodec.toJson(receipt), StandardCharsets.UTF_8);
      Files.move(tmp, abs, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
    } finally {
      Files.deleteIfExists(tmp);
    }
  }
}
