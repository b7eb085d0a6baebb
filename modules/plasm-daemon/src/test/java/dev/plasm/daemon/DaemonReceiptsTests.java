package dev.plasm.daemon;

import static dev.plasm.daemon.DaemonProcess.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.fixtures.Fixtures;
import dev.plasm.host.ReceiptSchemes;
import dev.plasm.host.ReceiptVerifier;
import dev.plasm.receipt.spi.Receipt;
import dev.plasm.receipt.spi.ReceiptCodec;
import java.nio.file.Path;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A job that started ends with a signed receipt however it ends, also when its worker cannot
 * report and the daemon decides the outcome: cancelled, killed above its memory cap, stopped by a
 * shutdown, or lost with a daemon killed by -9. A job that never started has none.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class DaemonReceiptsTests {
  static final String CONFIG =
      """
      [jobs]
      concurrency = 1
      [limits]
      timeout = "30s"
      [workers]
      shutdown-grace = "1s"
      """;

  @TempDir Path tmp;

  /** The job's receipt: authentic, signed by this node, stating {@code kind} (and {@code detail}). */
  static Receipt assertReceipt(DaemonProcess d, String id, String kind, String detail)
      throws Exception {
    JsonNode job = json(d.get("/v1/jobs/" + id));
    assertTrue(job.get("receipt").asBoolean(), job::toString);
    byte[] bytes = d.getBytes("/v1/jobs/" + id + "/receipt").body();
    String peerId = json(d.get("/v1/node")).get("peerId").asString();
    ReceiptVerifier.Report report =
        new ReceiptVerifier(ReceiptSchemes.discover())
            .verify(
                bytes, new ReceiptVerifier.Request(null, null, null, List.of(peerId), id, null));
    assertTrue(report.passed(), report::toString);
    Receipt r = ReceiptCodec.parse(bytes);
    assertEquals(kind, r.outcome().kind(), r::toString);
    assertEquals(detail, r.outcome().detail(), r::toString);
    assertEquals(job.get("engine").asString(), r.settings().engineId());
    assertEquals(
        job.get("limits").get("timeoutMillis").asLong(),
        r.settings().limits().get("timeoutMillis"));
    return r;
  }

  static String job(String fixture, String engine, String... args) {
    StringBuilder a = new StringBuilder();
    for (String s : args) {
      a.append(a.isEmpty() ? "" : ", ").append('"').append(s).append('"');
    }
    return "{\"moduleBase64\": \""
        + Base64.getEncoder().encodeToString(Fixtures.bytes(fixture))
        + "\", \"engine\": \""
        + engine
        + "\", \"args\": ["
        + a
        + "]}";
  }

  @Test
  void aJobCancelledWhileRunningHasAReceiptAndOneCancelledWhileQueuedHasNone() throws Exception {
    try (DaemonProcess d = DaemonProcess.start(tmp.resolve("s"), CONFIG)) {
      String running = d.submit(job("probe", "chicory-interpreter", "sleep", "30"));
      d.awaitState(running, "running", 30);
      String queued = d.submit(job("sleep-forever", "chicory-interpreter"));
      JsonNode q = json(d.post("/v1/jobs/" + queued + "/cancel", ""));
      assertEquals("cancelled", q.get("state").asString(), q::toString);
      assertFalse(q.has("outcome"), q::toString);
      assertFalse(q.get("receipt").asBoolean());
      assertEquals(404, d.get("/v1/jobs/" + queued + "/receipt").statusCode());
      JsonNode c = json(d.post("/v1/jobs/" + running + "/cancel", ""));
      assertEquals("cancelled", c.get("state").asString(), c::toString);
      assertEquals("cancelled", c.get("outcome").get("kind").asString(), c::toString);
      Receipt r = assertReceipt(d, running, "cancelled", null);
      // It states the output the job had written: what a client fetches.
      byte[] out = d.getBytes("/v1/jobs/" + running + "/stdout").body();
      assertEquals(out.length, r.stdout().bytes());
      assertEquals(ReceiptCodec.sha256(out), r.stdout().sha256());
      assertTrue(r.usage().wallTimeMicros() > 0);
    }
  }

  @Test
  void aWorkerKilledAboveItsMemoryCapLeavesADaemonSignedReceipt() throws Exception {
    try (DaemonProcess d =
        DaemonProcess.start(tmp.resolve("s"), CONFIG + "max-rss = \"200MiB\"\n")) {
      String id = d.submit(job("memory-grow-bomb", "chicory-interpreter"));
      JsonNode j = d.await(id, 90);
      assertEquals("limit-exceeded", j.get("outcome").get("kind").asString(), j::toString);
      assertReceipt(d, id, "limit-exceeded", "memory");
    }
  }

  @Test
  void shutdownAndKillMinus9EndRunningJobsInterruptedWithReceipts() throws Exception {
    Path state = tmp.resolve("s");
    String stopped;
    String lost;
    try (DaemonProcess d = DaemonProcess.start(state, CONFIG)) {
      stopped = d.submit(job("sleep-forever", "chicory-interpreter"));
      d.awaitState(stopped, "running", 30);
      d.terminate();
    }
    try (DaemonProcess d = DaemonProcess.start(state, CONFIG)) {
      assertEquals(
          "interrupted", json(d.get("/v1/jobs/" + stopped)).get("outcome").get("kind").asString());
      assertReceipt(d, stopped, "interrupted", null);
      lost = d.submit(job("sleep-forever", "chicory-interpreter"));
      d.awaitState(lost, "running", 30);
      d.kill();
    }
    try (DaemonProcess d = DaemonProcess.start(state, CONFIG)) {
      JsonNode j = json(d.get("/v1/jobs/" + lost));
      assertEquals("interrupted", j.get("state").asString(), j::toString);
      assertEquals("interrupted", j.get("outcome").get("kind").asString(), j::toString);
      Receipt r = assertReceipt(d, lost, "interrupted", null);
      assertEquals(0, r.usage().wallTimeMicros(), "the node was down and measured nothing");
    }
  }
}
