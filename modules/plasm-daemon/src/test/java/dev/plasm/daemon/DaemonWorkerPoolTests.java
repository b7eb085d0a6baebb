package dev.plasm.daemon;

import static dev.plasm.daemon.DaemonProcess.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.fixtures.Fixtures;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.HashSet;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** The warm worker pool: reuse, compiled-module cache, replacement, memory breaches, output offsets. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DaemonWorkerPoolTests {
  @TempDir Path tmp;

  private static long metric(DaemonProcess d, String name) throws Exception {
    String text = d.get("/metrics").body();
    Matcher m = Pattern.compile("(?m)^" + Pattern.quote(name) + " (\\d+)$").matcher(text);
    assertTrue(m.find(), name + " missing:\n" + text);
    return Long.parseLong(m.group(1));
  }

  private static String job(byte[] module, String engine, String... args) {
    StringBuilder a = new StringBuilder();
    for (String s : args) {
      a.append(a.isEmpty() ? "" : ", ").append('"').append(s).append('"');
    }
    return "{\"moduleBase64\": \""
        + Base64.getEncoder().encodeToString(module)
        + "\", \"engine\": \""
        + engine
        + "\", \"args\": ["
        + a
        + "]}";
  }

  private static byte[] hello() throws Exception {
    return Files.readAllBytes(DaemonConfigTests.repoRoot().resolve("examples/hello.wasm"));
  }

  @Test
  void aWarmWorkerRunsJobAfterJobAndCompilesEachModuleOnce() throws Exception {
    try (DaemonProcess d = DaemonProcess.start(tmp.resolve("s"), "[jobs]\nconcurrency = 1\n")) {
      Set<Long> pids = new HashSet<>();
      for (int i = 0; i < 5; i++) {
        JsonNode j = d.await(d.submit(job(hello(), "chicory-interpreter", "w" + i)), 60);
        assertEquals("completed", j.get("outcome").get("kind").asString(), j::toString);
        assertEquals(
            "Hello from WebAssembly!\narg 1: w" + i + "\n",
            new String(
                d.getBytes("/v1/jobs/" + j.get("id").asString() + "/stdout").body(),
                StandardCharsets.UTF_8));
        d.process.descendants().forEach(p -> pids.add(p.pid()));
      }
      assertEquals(1, metric(d, "plasm_workers_started_total"), d::log);
      assertEquals(1, pids.size(), "one worker process ran every job: " + pids);
      assertEquals(1, metric(d, "plasm_module_cache_misses_total"));
      assertEquals(4, metric(d, "plasm_module_cache_hits_total"));
      JsonNode node = json(d.get("/v1/node"));
      assertTrue(node.get("workers").get("warm").asBoolean());
      assertEquals(1, node.get("workers").get("alive").asInt(), node::toString);
    }
  }

  @Test
  void aWorkerIsReplacedAfterMaxJobsAndWithoutWarmWorkersEachJobGetsItsOwn() throws Exception {
    try (DaemonProcess d =
        DaemonProcess.start(
            tmp.resolve("a"), "[jobs]\nconcurrency = 1\n[workers]\nmax-jobs = 2\n")) {
      for (int i = 0; i < 5; i++) {
        JsonNode j = d.await(d.submit(job(hello(), "chicory-interpreter", "x")), 60);
        assertEquals("completed", j.get("outcome").get("kind").asString(), j::toString);
      }
      long started = metric(d, "plasm_workers_started_total");
      assertTrue(
          started >= 3 && started <= 4,
          "5 jobs at 2 per worker need 3 workers (+1 warm spare): " + started);
    }
    try (DaemonProcess d =
        DaemonProcess.start(
            tmp.resolve("b"), "[jobs]\nconcurrency = 1\n[workers]\nwarm = false\n")) {
      for (int i = 0; i < 3; i++) {
        JsonNode j = d.await(d.submit(job(hello(), "chicory-interpreter", "x")), 60);
        assertEquals("completed", j.get("outcome").get("kind").asString(), j::toString);
      }
      assertEquals(3, metric(d, "plasm_workers_started_total"));
      assertEquals(0, metric(d, "plasm_module_cache_hits_total"));
      // No worker waits idle between jobs.
      long until = System.nanoTime() + 10_000_000_000L;
      while (d.process.descendants().findAny().isPresent() && System.nanoTime() < until) {
        Thread.sleep(50);
      }
      assertTrue(d.process.descendants().findAny().isEmpty(), "an idle worker is still alive");
    }
  }

  @Test
  void aWorkerOverMaxRssIsKilledTheJobEndsWithTheMemoryLimitAndTheNextJobRuns() throws Exception {
    // The guest grows its memory page by page up to the node's 256 MiB: far past a 200 MiB worker.
    try (DaemonProcess d =
        DaemonProcess.start(
            tmp.resolve("s"), "[jobs]\nconcurrency = 1\n[workers]\nmax-rss = \"200MiB\"\n")) {
      JsonNode j =
          d.await(d.submit(job(Fixtures.bytes("memory-grow-bomb"), "chicory-interpreter")), 90);
      assertEquals("limit-exceeded", j.get("outcome").get("kind").asString(), j::toString);
      assertEquals("memory", j.get("outcome").get("detail").asString(), j::toString);
      assertTrue(
          j.get("outcome").get("message").asString().contains("workers.max-rss 200MiB"),
          j::toString);
      assertTrue(d.logContains("worker killed"), d::log);
      assertTrue(metric(d, "plasm_workers_killed_total") >= 1);
      JsonNode ok = d.await(d.submit(job(hello(), "chicory-interpreter", "again")), 60);
      assertEquals("completed", ok.get("outcome").get("kind").asString(), ok::toString);
    }
  }

  @Test
  void aSubmissionCanWaitForItsJobAndAnswerWithTheResult() throws Exception {
    try (DaemonProcess d =
        DaemonProcess.start(
            tmp.resolve("s"), "[jobs]\nconcurrency = 1\n[api]\nmax-wait = \"1m\"\n")) {
      HttpResponse<String> r =
          d.post("/v1/jobs?wait=30s", job(hello(), "chicory-interpreter", "now"));
      assertEquals(202, r.statusCode(), r.body());
      assertEquals("finished", json(r).get("state").asString(), r.body());
      assertEquals("completed", json(r).get("outcome").get("kind").asString(), r.body());
      // Without a wait, or with one too short, the job comes back as it is.
      HttpResponse<String> quick =
          d.post("/v1/jobs?wait=0s", job(Fixtures.bytes("sleep-forever"), "chicory-interpreter"));
      assertEquals(202, quick.statusCode(), quick.body());
      assertTrue(
          Set.of("queued", "running").contains(json(quick).get("state").asString()), quick.body());
      d.post("/v1/jobs/" + json(quick).get("id").asString() + "/cancel", "");
      HttpResponse<String> tooLong =
          d.post("/v1/jobs?wait=2m", job(hello(), "chicory-interpreter"));
      assertEquals(400, tooLong.statusCode(), tooLong.body());
      assertEquals("wait", json(tooLong).get("error").get("field").asString());
      HttpResponse<String> unknown =
          d.post("/v1/jobs?wiat=1s", job(hello(), "chicory-interpreter"));
      assertEquals(
          "unknown-field", json(unknown).get("error").get("code").asString(), unknown.body());
    }
  }

  @Test
  void outputIsReadFromAnOffsetAndSaysWhenItIsComplete() throws Exception {
    try (DaemonProcess d = DaemonProcess.start(tmp.resolve("s"), "[jobs]\nconcurrency = 1\n")) {
      String id = d.submit(job(hello(), "chicory-interpreter", "offsets"));
      d.await(id, 60);
      HttpResponse<byte[]> all = d.getBytes("/v1/jobs/" + id + "/stdout");
      String text = "Hello from WebAssembly!\narg 1: offsets\n";
      String size = Integer.toString(text.length());
      assertEquals(text, new String(all.body(), StandardCharsets.UTF_8));
      assertEquals(size, all.headers().firstValue("X-Plasm-Next-Offset").orElseThrow());
      assertEquals("true", all.headers().firstValue("X-Plasm-Output-Complete").orElseThrow());
      HttpResponse<byte[]> tail = d.getBytes("/v1/jobs/" + id + "/stdout?offset=24");
      assertEquals("arg 1: offsets\n", new String(tail.body(), StandardCharsets.UTF_8));
      assertEquals(size, tail.headers().firstValue("X-Plasm-Next-Offset").orElseThrow());
      assertEquals(0, d.getBytes("/v1/jobs/" + id + "/stdout?offset=" + size).body().length);
      for (String bad : new String[] {Integer.toString(text.length() + 1), "-1", "x"}) {
        HttpResponse<String> r = d.get("/v1/jobs/" + id + "/stdout?offset=" + bad);
        assertEquals(400, r.statusCode(), r.body());
        assertEquals("offset", json(r).get("error").get("field").asString(), r.body());
      }
      assertEquals(
          "unknown-field",
          json(d.get("/v1/jobs/" + id + "/stderr?from=0")).get("error").get("code").asString());

      // A running job's output is not complete yet.
      String sleeper = d.submit(job(Fixtures.bytes("sleep-forever"), "chicory-interpreter"));
      d.awaitState(sleeper, "running", 30);
      HttpResponse<byte[]> running = d.getBytes("/v1/jobs/" + sleeper + "/stdout?offset=0");
      assertEquals("false", running.headers().firstValue("X-Plasm-Output-Complete").orElseThrow());
      assertEquals(200, d.post("/v1/jobs/" + sleeper + "/cancel", "").statusCode());
    }
  }
}
