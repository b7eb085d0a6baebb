package dev.plasm.daemon;

import static dev.plasm.daemon.DaemonProcess.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.fixtures.Fixtures;
import dev.plasm.host.ReceiptSchemes;
import dev.plasm.host.ReceiptVerifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Jobs across peers with five real daemons on 127.0.0.1: A submits (it runs no one else's jobs),
 * B, C and D run other peers' jobs and offer themselves on the DHT, E is on the network but runs
 * no one else's jobs. Modules travel by hash from the submitter; receipts are signed by the
 * executor and checked by A before it says the job succeeded.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class RemoteJobsTests {
  @TempDir static Path tmp;
  static DaemonProcess a;
  static DaemonProcess b;
  static DaemonProcess c;
  static DaemonProcess d;
  static DaemonProcess e;
  static List<String> executors = new ArrayList<>();
  static byte[] hello;
  static String helloSha;

  @BeforeAll
  static void startNetwork() throws Exception {
    a = DaemonProcess.start(tmp.resolve("a"), RemoteNet.P2P + "[remote]\nenabled = false\n");
    String boot = RemoteNet.joining(a);
    b = DaemonProcess.start(tmp.resolve("b"), boot + RemoteNet.EXECUTOR);
    c = DaemonProcess.start(tmp.resolve("c"), boot + RemoteNet.EXECUTOR);
    d = DaemonProcess.start(tmp.resolve("d"), boot + RemoteNet.EXECUTOR);
    e = DaemonProcess.start(tmp.resolve("e"), boot);
    for (DaemonProcess x : new DaemonProcess[] {b, c, d}) {
      executors.add(peerId(x));
    }
    hello = RemoteNet.hello();
    helloSha = FaultyPeer.sha256(hello);
    // A sees the three executors' provider records and offers before any job is placed.
    RemoteNet.awaitExecutors(a, executors);
  }

  @AfterAll
  static void stop() throws Exception {
    for (DaemonProcess x : new DaemonProcess[] {a, b, c, d, e}) {
      if (x != null) {
        x.close();
      }
    }
  }

  static String peerId(DaemonProcess x) throws Exception {
    return RemoteNet.peerId(x);
  }

  static String job(String placement, String more) {
    return RemoteNet.job(hello, List.of("peers"), placement, more);
  }

  /** Verifies a job's receipt as anyone would: signed by {@code signer}, trusted, matching the output. */
  static void assertReceiptFrom(DaemonProcess x, String id, String signer) throws Exception {
    byte[] receipt = x.getBytes("/v1/jobs/" + id + "/receipt").body();
    byte[] out = x.getBytes("/v1/jobs/" + id + "/stdout").body();
    ReceiptVerifier.Report r =
        new ReceiptVerifier(ReceiptSchemes.discover())
            .verify(
                receipt,
                new ReceiptVerifier.Request(hello, out, null, List.of(signer), null, null));
    assertTrue(r.passed(), r::toString);
    assertEquals(signer, r.receipt().signer().peerId());
  }

  @Test
  void aRemoteJobRunsOnAnotherNodeWithTheModuleFetchedByHashAndItsReceiptVerifies()
      throws Exception {
    JsonNode j = a.await(a.submit(job("remote", "")), 120);
    assertEquals("finished", j.get("state").asString(), j::toString);
    assertEquals("completed", j.get("outcome").get("kind").asString(), j::toString);
    String ranOn = j.get("executedBy").get(0).asString();
    assertTrue(executors.contains(ranOn), j::toString);
    assertEquals(
        "Hello from WebAssembly!\narg 1: peers\n",
        new String(
            a.getBytes("/v1/jobs/" + j.get("id").asString() + "/stdout").body(),
            StandardCharsets.UTF_8));
    assertReceiptFrom(a, j.get("id").asString(), ranOn);
    // Its output and receipt are in A's journal like any job's: no directory or file per job.
    assertFalse(Files.exists(a.state.resolve("jobs").resolve(j.get("id").asString())));
    assertEquals(
        "ok",
        j.get("attempts").get(j.get("attempts").size() - 1).get("result").asString(),
        j::toString);
    // The executor has the module now, fetched by its hash from A, and the job recorded with A as
    // its requester.
    DaemonProcess executor =
        ranOn.equals(executors.get(0)) ? b : ranOn.equals(executors.get(1)) ? c : d;
    assertEquals(
        200,
        executor
            .http
            .send(
                executor
                    .request("/v1/modules/" + helloSha)
                    .method("HEAD", java.net.http.HttpRequest.BodyPublishers.noBody())
                    .build(),
                java.net.http.HttpResponse.BodyHandlers.discarding())
            .statusCode());
    String executorJob =
        j.get("attempts").get(j.get("attempts").size() - 1).get("executorJobId").asString();
    JsonNode there = json(executor.get("/v1/jobs/" + executorJob));
    assertEquals(peerId(a), there.get("requester").get("peerId").asString(), there::toString);
    // The requester's record names the engine the executor ran it on, as the executor's own
    // record (and its receipt) does: not the "auto" it was sent with.
    JsonNode ranWith = there.get("engineUsed");
    assertTrue(ranWith.get("id").asString().startsWith("chicory-"), there::toString);
    assertFalse(ranWith.get("version").asString().isEmpty(), there::toString);
    assertEquals(ranWith, j.get("engineUsed"), j::toString);
    assertEquals(ranWith.get("id").asString(), j.get("engine").asString(), j::toString);
    assertEquals(ranWith.get("version").asString(), j.get("engineVersion").asString(), j::toString);
    assertTrue(metric(a, "plasm_remote_jobs_dispatched_total") >= 1);
    assertTrue(metric(executor, "plasm_remote_jobs_accepted_total") >= 1);
  }

  @Test
  void anyRunsHereWhenThisNodeCan() throws Exception {
    JsonNode j = a.await(a.submit(job("any", "")), 60);
    assertEquals("completed", j.get("outcome").get("kind").asString(), j::toString);
    assertFalse(j.has("executedBy"), "ran locally: " + j);
    assertReceiptFrom(a, j.get("id").asString(), peerId(a));
  }

  @Test
  void aPinnedPeerIsHonouredOrRefusedClearly() throws Exception {
    String cId = executors.get(1);
    JsonNode ok = a.await(a.submit(job(cId, "")), 120);
    assertEquals("completed", ok.get("outcome").get("kind").asString(), ok::toString);
    assertEquals(cId, ok.get("executedBy").get(0).asString());
    // E runs no one else's jobs: it publishes no offer, so the job fails saying so, with nothing
    // run.
    String eId = peerId(e);
    JsonNode no = a.await(a.submit(job(eId, "")), 120);
    assertEquals("failed", no.get("outcome").get("kind").asString(), no::toString);
    assertTrue(no.get("reason").asString().contains(eId), no::toString);
    assertFalse(no.get("receipt").asBoolean());
    // No engine ran it: the record keeps the engine as asked, and names none as used.
    assertEquals("auto", no.get("engine").asString(), no::toString);
    assertEquals("", no.get("engineVersion").asString(), no::toString);
    assertFalse(no.has("engineUsed"), no::toString);
  }

  @Test
  void redundancyRunsOnDistinctNodesAndTheirAnswersAgree() throws Exception {
    JsonNode j =
        a.await(a.submit(job("remote", ", \"redundancy\": 3, \"deterministic\": true")), 180);
    assertEquals("completed", j.get("outcome").get("kind").asString(), j::toString);
    Set<String> by = new java.util.HashSet<>();
    j.get("executedBy").forEach(x -> by.add(x.asString()));
    assertEquals(Set.copyOf(executors), by, j::toString);
  }

  @Test
  void cancellingARemoteJobCancelsItOnTheExecutorAndKeepsItsSignedReceipt() throws Exception {
    String sleep = Base64.getEncoder().encodeToString(Fixtures.bytes("sleep-forever"));
    String id =
        a.submit(
            "{\"moduleBase64\": \""
                + sleep
                + "\", \"placement\": \"remote\", \"limits\": {\"timeoutMillis\": 60000}}");
    // Out and accepted by an executor: the attempt names the executor's job.
    JsonNode out = null;
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() < until) {
      out = json(a.get("/v1/jobs/" + id));
      JsonNode at = out.path("attempts");
      if (at.size() > 0 && at.get(at.size() - 1).has("executorJobId")) {
        break;
      }
      Thread.sleep(100);
    }
    JsonNode attempt = out.get("attempts").get(out.get("attempts").size() - 1);
    String executorJob = attempt.get("executorJobId").asString();
    String ranOn = attempt.get("peerId").asString();
    DaemonProcess executor =
        ranOn.equals(executors.get(0)) ? b : ranOn.equals(executors.get(1)) ? c : d;
    executor.awaitState(executorJob, "running", 30);

    long t = System.nanoTime();
    var r = a.post("/v1/jobs/" + id + "/cancel", "");
    assertEquals(200, r.statusCode(), r::body);
    assertTrue(
        (System.nanoTime() - t) / 1_000_000 < 9_000,
        "the executor answered the cancel, no stream was cut");
    JsonNode j = json(r);
    assertEquals("cancelled", j.get("state").asString(), j::toString);
    assertEquals("cancelled", j.get("outcome").get("kind").asString(), j::toString);
    // Cancelled there too, not left running for no one.
    JsonNode there = json(executor.get("/v1/jobs/" + executorJob));
    assertEquals("cancelled", there.get("state").asString(), there::toString);
    // The executor signed what happened; A checked it and keeps it.
    assertTrue(j.get("receipt").asBoolean(), j::toString);
    byte[] receipt = a.getBytes("/v1/jobs/" + id + "/receipt").body();
    ReceiptVerifier.Report rep =
        new ReceiptVerifier(ReceiptSchemes.discover())
            .verify(
                receipt,
                new ReceiptVerifier.Request(null, new byte[0], null, List.of(ranOn), null, null));
    assertTrue(rep.passed(), rep::toString);
    assertEquals("cancelled", rep.receipt().outcome().kind());
    // A cancel is not the executor's fault: its reputation has no failure from it.
    JsonNode peers = json(a.get("/v1/peers"));
    for (JsonNode p : peers.get("peers")) {
      if (p.get("peerId").asString().equals(ranOn) && p.has("reputation")) {
        assertEquals(0, p.get("reputation").get("failures").asInt(), p::toString);
      }
    }
    var again = a.post("/v1/jobs/" + id + "/cancel", "");
    assertEquals(409, again.statusCode(), again::body);
  }

  @Test
  void withoutP2pAPlacementElsewhereIsRefusedSayingHowToEnableIt() throws Exception {
    try (DaemonProcess alone = DaemonProcess.start(tmp.resolve("alone"), "")) {
      var r = alone.post("/v1/jobs", job("remote", ""));
      assertEquals(409, r.statusCode(), r::body);
      assertEquals("p2p-disabled", json(r).get("error").get("code").asString());
      assertNotEquals(-1, r.body().indexOf("[p2p]"));
    }
  }

  static long metric(DaemonProcess x, String name) throws Exception {
    return RemoteNet.metric(x, name);
  }
}
