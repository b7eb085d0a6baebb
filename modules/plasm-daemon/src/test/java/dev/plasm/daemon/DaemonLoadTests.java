package dev.plasm.daemon;

import static dev.plasm.daemon.DaemonProcess.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.host.ReceiptSchemes;
import dev.plasm.host.ReceiptVerifier;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A bounded load test on loopback: thousands of hello jobs from concurrent clients through a small
 * queue (so some submissions meet 429 and retry). Every job must end completed with its own output,
 * exactly once, and every receipt must verify.
 */
@Timeout(value = 600, unit = TimeUnit.SECONDS)
class DaemonLoadTests {
  static final int JOBS = Integer.getInteger("plasm.load.jobs", 2000);
  static final int CLIENTS = 8;

  @TempDir Path tmp;

  @Test
  void thousandsOfJobsNoneLostNoneDuplicatedEveryReceiptVerifies() throws Exception {
    byte[] hello = Files.readAllBytes(DaemonConfigTests.repoRoot().resolve("examples/hello.wasm"));
    try (DaemonProcess d =
        DaemonProcess.start(tmp.resolve("s"), "[jobs]\nconcurrency = 2\nqueue-capacity = 4\n")) {
      String sha = json(d.postBytes("/v1/modules", hello)).get("sha256").asString();
      Map<Integer, String> ids = new ConcurrentHashMap<>();
      AtomicInteger next = new AtomicInteger();
      AtomicInteger refused = new AtomicInteger();
      List<Thread> clients = new ArrayList<>();
      List<Throwable> failures = java.util.Collections.synchronizedList(new ArrayList<>());
      for (int c = 0; c < CLIENTS; c++) {
        clients.add(
            Thread.ofVirtual()
                .start(
                    () -> {
                      try {
                        for (int i; (i = next.getAndIncrement()) < JOBS; ) {
                          String body =
                              "{\"module\": \""
                                  + sha
                                  + "\", \"args\": [\"n"
                                  + i
                                  + "\"], \"nonce\": \"load-"
                                  + i
                                  + "\", \"idempotencyKey\": \"load-"
                                  + i
                                  + "\"}";
                          while (true) {
                            HttpResponse<String> r = d.post("/v1/jobs", body);
                            if (r.statusCode() == 429) {
                              refused.incrementAndGet();
                              Thread.sleep(2);
                              continue;
                            }
                            assertEquals(202, r.statusCode(), r.body());
                            ids.put(i, json(r).get("id").asString());
                            break;
                          }
                        }
                      } catch (Throwable t) {
                        failures.add(t);
                      }
                    }));
      }
      for (Thread t : clients) {
        t.join();
      }
      assertTrue(failures.isEmpty(), () -> failures.get(0).toString());
      assertEquals(JOBS, ids.size());
      assertEquals(
          JOBS, ids.values().stream().distinct().count(), "two submissions got the same job");

      // Resubmitting with an idempotency key gives back the same job, never a second run.
      HttpResponse<String> again =
          d.post(
              "/v1/jobs",
              "{\"module\": \""
                  + sha
                  + "\", \"args\": [\"n7\"], \"nonce\": \"load-7\", \"idempotencyKey\": \"load-7\"}");
      assertEquals(200, again.statusCode(), again.body());
      assertEquals(ids.get(7), json(again).get("id").asString());

      String peer = json(d.get("/v1/node")).get("peerId").asString();
      ReceiptVerifier verifier = new ReceiptVerifier(ReceiptSchemes.discover());
      for (int i = 0; i < JOBS; i++) {
        String id = ids.get(i);
        JsonNode j = d.await(id, 120);
        assertEquals("completed", j.get("outcome").get("kind").asString(), j::toString);
        assertEquals(0, j.get("outcome").get("exitCode").asInt());
        byte[] out = d.getBytes("/v1/jobs/" + id + "/stdout").body();
        assertEquals(
            "Hello from WebAssembly!\narg 1: n" + i + "\n",
            new String(out, StandardCharsets.UTF_8));
        byte[] receipt = d.getBytes("/v1/jobs/" + id + "/receipt").body();
        var report =
            verifier.verify(
                receipt,
                new ReceiptVerifier.Request(
                    hello, out, new byte[0], List.of(peer), id, "load-" + i));
        assertTrue(report.passed(), () -> id + ": " + report);
      }

      // The node's own books agree: every job listed once, every one completed once.
      Map<String, Integer> listed = new HashMap<>();
      String before = null;
      do {
        JsonNode page =
            json(d.get("/v1/jobs?limit=1000" + (before == null ? "" : "&before=" + before)));
        for (JsonNode j : page.get("jobs")) {
          listed.merge(j.get("id").asString(), 1, Integer::sum);
        }
        before = page.has("next") ? page.get("next").asString() : null;
      } while (before != null);
      assertEquals(JOBS, listed.size());
      assertTrue(listed.values().stream().allMatch(n -> n == 1));
      String metrics = d.get("/metrics").body();
      assertTrue(
          metrics.contains("plasm_jobs_total{outcome=\"completed\"} " + JOBS + "\n"), metrics);
      assertTrue(metrics.contains("plasm_jobs_submitted_total " + JOBS + "\n"), metrics);
      assertTrue(
          metrics.contains("plasm_jobs_rejected_queue_full_total " + refused.get() + "\n"),
          metrics);
      assertTrue(metrics.contains("plasm_workers_killed_total 0\n"), metrics);
    }
  }
}
