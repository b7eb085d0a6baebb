package dev.plasm.daemon;

import static dev.plasm.daemon.DaemonProcess.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.fixtures.Fixtures;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** Queue bounds, shutdown, and recovery after SIGTERM and kill -9, with real daemon processes. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DaemonLifecycleTests {
  static final String CONFIG =
      """
      [jobs]
      concurrency = 1
      queue-capacity = 1
      [limits]
      timeout = "20s"
      [workers]
      kill-grace = "5s"
      shutdown-grace = "1s"
      """;

  @TempDir Path tmp;

  static String sleepJob() {
    return "{\"moduleBase64\": \""
        + Base64.getEncoder().encodeToString(Fixtures.bytes("sleep-forever"))
        + "\"}";
  }

  static String helloJob() throws Exception {
    byte[] hello = Files.readAllBytes(DaemonConfigTests.repoRoot().resolve("examples/hello.wasm"));
    return "{\"moduleBase64\": \""
        + Base64.getEncoder().encodeToString(hello)
        + "\", \"args\": [\"world\"]}";
  }

  @Test
  void aFullQueueAnswers429WithRetryAfter() throws Exception {
    try (DaemonProcess d = DaemonProcess.start(tmp.resolve("state"), CONFIG)) {
      String running = d.submit(sleepJob());
      d.awaitState(running, "running", 30);
      String queued = d.submit(sleepJob());
      var full = d.post("/v1/jobs", sleepJob());
      assertEquals(429, full.statusCode(), full::body);
      assertEquals("queue-full", json(full).get("error").get("code").asString());
      assertTrue(full.headers().firstValue("Retry-After").isPresent());
      assertEquals(1, json(d.get("/v1/node")).get("queue").get("depth").asInt());
      // Cancelling the queued job ends it at once without running it.
      var c = d.post("/v1/jobs/" + queued + "/cancel", "");
      assertEquals("cancelled", json(c).get("state").asString(), c::body);
      assertFalse(json(c).has("startedAt"));
      d.post("/v1/jobs/" + running + "/cancel", "");
      JsonNode ok = d.await(d.submit(helloJob()), 60);
      assertEquals("completed", ok.get("outcome").get("kind").asString(), ok::toString);
    }
  }

  @Test
  void sigtermShutsDownGracefullyAndUnfinishedJobsAreInterruptedNotLost() throws Exception {
    Path state = tmp.resolve("state");
    String done;
    String running;
    String queued;
    try (DaemonProcess d = DaemonProcess.start(state, CONFIG)) {
      done = d.submit(helloJob());
      d.await(done, 60);
      running = d.submit(sleepJob());
      d.awaitState(running, "running", 30);
      queued = d.submit(sleepJob());
      int code = d.terminate();
      assertTrue(
          code == 0 || code == 143,
          "exit code " + code + "\n" + d.log()); // 143: the JVM's exit on SIGTERM
      assertTrue(d.log().contains("shutting down"), d::log);
    }
    assertFalse(Files.exists(state.resolve("daemon.json")));
    try (DaemonProcess d = DaemonProcess.start(state, CONFIG)) {
      JsonNode r = json(d.get("/v1/jobs/" + running));
      assertEquals("interrupted", r.get("state").asString(), r::toString);
      assertTrue(r.get("reason").asString().contains("shut down"), r::toString);
      JsonNode q = json(d.get("/v1/jobs/" + queued));
      assertEquals("interrupted", q.get("state").asString(), q::toString);
      assertTrue(q.get("reason").asString().contains("never ran"), q::toString);
      JsonNode ok = json(d.get("/v1/jobs/" + done));
      assertEquals("completed", ok.get("outcome").get("kind").asString());
      assertEquals(
          DaemonApiTests.HELLO_OUT,
          new String(d.getBytes("/v1/jobs/" + done + "/stdout").body(), StandardCharsets.UTF_8));
      assertEquals(200, d.get("/v1/jobs/" + done + "/receipt").statusCode());
      assertEquals(2, json(d.get("/v1/jobs?state=interrupted")).get("jobs").size());
    }
  }

  @Test
  void sigtermLetsARunningJobFinishWithinTheShutdownGrace() throws Exception {
    Path state = tmp.resolve("state");
    String slow;
    String config = CONFIG.replace("shutdown-grace = \"1s\"", "shutdown-grace = \"30s\"");
    try (DaemonProcess d = DaemonProcess.start(state, config)) {
      byte[] probe = Fixtures.bytes("probe");
      slow =
          d.submit(
              "{\"moduleBase64\": \""
                  + Base64.getEncoder().encodeToString(probe)
                  + "\", \"args\": [\"sleep\", \"2\"]}");
      d.awaitState(slow, "running", 30);
      long t0 = System.nanoTime();
      d.terminate();
      assertTrue(
          System.nanoTime() - t0 > 500_000_000L,
          "the daemon stopped without waiting for its running job");
    }
    try (DaemonProcess d = DaemonProcess.start(state, CONFIG)) {
      JsonNode r = json(d.get("/v1/jobs/" + slow));
      assertEquals("finished", r.get("state").asString(), r::toString);
      assertEquals("completed", r.get("outcome").get("kind").asString(), r::toString);
      assertEquals(200, d.get("/v1/jobs/" + slow + "/receipt").statusCode());
    }
  }

  @Test
  void afterKillMinus9EveryAcceptedJobIsCompletedOrInterruptedAndNoneRunsTwice() throws Exception {
    Path state = tmp.resolve("state");
    String done;
    String running;
    String queued;
    java.util.List<ProcessHandle> workers;
    try (DaemonProcess d = DaemonProcess.start(state, CONFIG)) {
      done = d.submit(helloJob());
      d.await(done, 60);
      running = d.submit(sleepJob());
      d.awaitState(running, "running", 30);
      queued = d.submit(sleepJob());
      workers = d.process.descendants().toList();
      assertFalse(workers.isEmpty());
      d.kill();
    }
    // Orphaned workers notice and end themselves: the busy one at once, idle ones too.
    for (ProcessHandle w : workers) {
      w.onExit().get(20, TimeUnit.SECONDS);
    }
    try (DaemonProcess d = DaemonProcess.start(state, CONFIG)) {
      assertTrue(d.log().contains("recovered job"), d::log);
      JsonNode r = json(d.get("/v1/jobs/" + running));
      assertEquals("interrupted", r.get("state").asString(), r::toString);
      assertTrue(r.get("reason").asString().contains("was not run again"), r::toString);
      JsonNode q = json(d.get("/v1/jobs/" + queued));
      assertEquals("interrupted", q.get("state").asString(), q::toString);
      assertEquals(
          "completed", json(d.get("/v1/jobs/" + done)).get("outcome").get("kind").asString());
      // The queue is empty and the node works.
      assertEquals(0, json(d.get("/v1/node")).get("queue").get("depth").asInt());
      JsonNode ok = d.await(d.submit(helloJob()), 60);
      assertEquals("completed", ok.get("outcome").get("kind").asString(), ok::toString);
      // Neither interrupted job ever starts again.
      Thread.sleep(300);
      assertEquals("interrupted", json(d.get("/v1/jobs/" + queued)).get("state").asString());
    }
  }

  @Test
  void afterKillMinus9DuringConcurrentSubmissionsEveryAcknowledgedJobIsThere() throws Exception {
    // Submissions share the journal's forced writes (group commit): a 202 must still mean "on
    // disk".
    killDuringConcurrentSubmissions(client -> "/v1/jobs");
  }

  @Test
  void afterKillMinus9DuringWaitingSubmissionsEveryAnsweredJobIsThere() throws Exception {
    // Half the clients wait for their job's end (?wait=1s): the queued entry is then written
    // without a forced write of its own, and forced before the answer, at the latest when the wait
    // runs out while the job is still queued.
    killDuringConcurrentSubmissions(client -> client % 2 == 0 ? "/v1/jobs" : "/v1/jobs?wait=1s");
  }

  /** 8 clients submit until 100 are acknowledged, kill -9, restart: every acknowledged job is there. */
  private void killDuringConcurrentSubmissions(java.util.function.IntFunction<String> pathOfClient)
      throws Exception {
    Path state = tmp.resolve("state");
    String config =
        CONFIG
            .replace("concurrency = 1", "concurrency = 2")
            .replace("queue-capacity = 1", "queue-capacity = 10000");
    java.util.Set<String> acknowledged = java.util.concurrent.ConcurrentHashMap.newKeySet();
    try (DaemonProcess d = DaemonProcess.start(state, config)) {
      String job = helloJob().replace("}", ", \"stdinBase64\": \"aGVsbG8=\"}");
      java.util.List<Thread> clients = new java.util.ArrayList<>();
      java.util.concurrent.atomic.AtomicBoolean stop =
          new java.util.concurrent.atomic.AtomicBoolean();
      for (int i = 0; i < 8; i++) {
        String path = pathOfClient.apply(i);
        clients.add(
            Thread.ofPlatform()
                .start(
                    () -> {
                      while (!stop.get()) {
                        try {
                          var r = d.post(path, job);
                          if (r.statusCode() == 202) {
                            acknowledged.add(json(r).get("id").asString());
                          }
                        } catch (Exception e) {
                          return; // the daemon is gone
                        }
                      }
                    }));
      }
      long until = System.nanoTime() + 20_000_000_000L;
      while (acknowledged.size() < 100 && System.nanoTime() < until) {
        Thread.sleep(20);
      }
      d.kill();
      stop.set(true);
      for (Thread t : clients) {
        t.join(30_000);
      }
    }
    assertTrue(
        acknowledged.size() >= 100, "only " + acknowledged.size() + " jobs were accepted in 20 s");
    try (DaemonProcess d = DaemonProcess.start(state, config)) {
      for (String id : acknowledged) {
        var r = d.get("/v1/jobs/" + id);
        assertEquals(
            200, r.statusCode(), () -> id + " was acknowledged (202) and is lost: " + r.body());
        String st = json(r).get("state").asString();
        assertTrue(st.equals("finished") || st.equals("interrupted"), id + " is " + st);
      }
    }
  }

  @Test
  void aLargeStdinAndOutputTravelOutsideTheWorkerFramesAndSurviveARestart() throws Exception {
    // 1 MiB through probe's cat: the stdin (over 64 KiB) is read by the worker from the journal,
    // the
    // output (over 256 KiB) is spilled to STATE/outputs; both come back whole, also after a
    // restart.
    Path state = tmp.resolve("state");
    byte[] in = new byte[1 << 20];
    new java.util.Random(7).nextBytes(in);
    String id;
    try (DaemonProcess d = DaemonProcess.start(state, CONFIG)) {
      id =
          d.submit(
              "{\"moduleBase64\": \""
                  + Base64.getEncoder().encodeToString(Fixtures.bytes("probe"))
                  + "\", \"args\": [\"cat\"], \"stdinBase64\": \""
                  + Base64.getEncoder().encodeToString(in)
                  + "\"}");
      JsonNode r = d.await(id, 60);
      assertEquals("completed", r.get("outcome").get("kind").asString(), r::toString);
      assertTrue(
          java.util.Arrays.equals(in, d.getBytes("/v1/jobs/" + id + "/stdout").body()),
          "stdout differs from stdin");
      assertEquals("read 1048576 bytes\n", d.get("/v1/jobs/" + id + "/stderr").body());
      assertTrue(Files.isRegularFile(state.resolve("outputs").resolve(id + ".stdout")));
      assertEquals(200, d.get("/v1/jobs/" + id + "/receipt").statusCode());
    }
    try (DaemonProcess d = DaemonProcess.start(state, CONFIG)) {
      assertTrue(
          java.util.Arrays.equals(in, d.getBytes("/v1/jobs/" + id + "/stdout").body()),
          "stdout differs after a restart");
      JsonNode receipt = json(d.get("/v1/jobs/" + id + "/receipt"));
      assertTrue(
          receipt.toString().contains(dev.plasm.receipt.spi.ReceiptCodec.sha256(in)),
          receipt::toString);
    }
  }

  @Test
  void aSlowClientIsDroppedAfterTheRequestTimeoutAndOthersAreServedMeanwhile() throws Exception {
    try (DaemonProcess d =
        DaemonProcess.start(tmp.resolve("state"), "[api]\nrequest-timeout = \"1s\"\n")) {
      int port = java.net.URI.create(d.base).getPort();
      try (java.net.Socket slow = new java.net.Socket("127.0.0.1", port)) {
        slow.setSoTimeout(15_000);
        slow.getOutputStream()
            .write(
                ("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
        slow.getOutputStream().flush();
        assertEquals(200, d.get("/v1/node").statusCode());
        long t = System.nanoTime();
        // The request never ends: after request-timeout the server says 408 and closes.
        String answer;
        try {
          answer = new String(slow.getInputStream().readAllBytes(), StandardCharsets.ISO_8859_1);
        } catch (java.net.SocketException e) {
          answer = ""; // reset
        }
        assertTrue(
            answer.isEmpty() || answer.startsWith("HTTP/1.1 408 "),
            "the server answered a request that never ended: " + answer);
        assertTrue(answer.isEmpty() || answer.contains("Connection: close"), answer);
        assertTrue((System.nanoTime() - t) / 1_000_000 < 14_000);
      }
      assertEquals(200, d.get("/v1/node").statusCode());
    }
  }

  @Test
  void badConfigurationStopsTheDaemonNamingTheKey() throws Exception {
    Path cfg = tmp.resolve("bad.toml");
    Files.writeString(cfg, "[jobs]\nconcurrency = 0\n");
    String javaBin = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String cp =
        System.getProperty("jdk.module.path", "")
            + java.io.File.pathSeparator
            + System.getProperty("java.class.path");
    Process p =
        new ProcessBuilder(
                javaBin,
                "-cp",
                cp,
                "dev.plasm.daemon.internal.DaemonMain",
                "--config",
                cfg.toString())
            .redirectErrorStream(true)
            .start();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS));
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertEquals(64, p.exitValue(), out);
    assertTrue(out.contains("jobs.concurrency: 0 is out of range"), out);
  }
}
