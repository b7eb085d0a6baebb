package dev.plasm.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real daemon forgets ended jobs past {@code jobs.retention}, for good, and keeps those not ended. */
class DaemonRetentionTests {
  @TempDir Path tmp;

  static final String CONFIG =
      """
      [jobs]
      concurrency = 1
      retention = "2s"
      [limits]
      memory = "64MiB"
      """;

  @Test
  void anEndedJobIsForgottenAfterTheRetentionAndStaysForgottenAfterARestart() throws Exception {
    String hello =
        Base64.getEncoder()
            .encodeToString(
                Files.readAllBytes(DaemonConfigTests.repoRoot().resolve("examples/hello.wasm")));
    String job =
        "{\"moduleBase64\": \"" + hello + "\", \"args\": [\"x\"], \"idempotencyKey\": \"once\"}";
    Path state = tmp.resolve("state");
    String id;
    try (DaemonProcess d = DaemonProcess.start(state, CONFIG)) {
      id = d.submit(job);
      assertEquals("finished", d.await(id, 60).get("state").asString());
      assertEquals(200, d.get("/v1/jobs/" + id + "/receipt").statusCode());
      // Within a few passes (a pass every second at this retention) it is gone.
      long until = System.nanoTime() + 20_000_000_000L;
      int status = 200;
      while (status == 200 && System.nanoTime() < until) {
        Thread.sleep(250);
        status = d.get("/v1/jobs/" + id).statusCode();
      }
      assertEquals(404, status, "the job was not forgotten within 20 s");
      assertEquals(404, d.get("/v1/jobs/" + id + "/stdout").statusCode());
      assertFalse(d.get("/v1/jobs").body().contains(id));
      String metrics = d.get("/metrics").body();
      assertTrue(counter(metrics, "plasm_jobs_forgotten_total") >= 1, metrics);
      assertEquals(0, counter(metrics, "plasm_jobs_held"), metrics);
      assertTrue(d.logContains("forgot ended jobs past retention"), d.log());
    }
    try (DaemonProcess d = DaemonProcess.start(state, CONFIG)) {
      assertEquals(404, d.get("/v1/jobs/" + id).statusCode(), "a restart brought it back");
      // Its idempotency key went with it: the same request is a new job.
      String again = d.submit(job);
      assertNotEquals(id, again);
      assertEquals("finished", d.await(again, 60).get("state").asString());
    }
  }

  static long counter(String metrics, String name) {
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\d+)$").matcher(metrics);
    assertTrue(m.find(), name + " missing");
    return Long.parseLong(m.group(1));
  }
}
