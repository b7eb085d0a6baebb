package dev.plasm.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.daemon.FaultyPeer.Lie;
import dev.plasm.host.ReceiptSchemes;
import dev.plasm.host.ReceiptVerifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Executors that lie, built in the test ({@link FaultyPeer}): each really runs the job and signs a
 * real receipt, then lies in one way. A requester (R) must catch every lie with the check the
 * documents name, record the attempt {@code invalid}, count a lie against the peer (in {@code GET
 * /v1/peers} and {@code STATE/peers.json}), and still finish the job on the honest executor (H); a
 * job pinned to a liar fails saying why, with no receipt.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class LyingExecutorTests {
  @TempDir static Path tmp;
  static DaemonProcess r;
  static DaemonProcess h;
  static String hId;
  static byte[] hello;
  static final List<FaultyPeer> peers = new ArrayList<>();

  @BeforeAll
  static void startNetwork() throws Exception {
    // Enough attempts for every liar and then the honest node.
    r =
        DaemonProcess.start(
            tmp.resolve("r"), RemoteNet.P2P + "[remote]\nenabled = false\nmax-attempts = 20\n");
    h = DaemonProcess.start(tmp.resolve("h"), RemoteNet.joining(r) + RemoteNet.EXECUTOR);
    hId = RemoteNet.peerId(h);
    hello = RemoteNet.hello();
  }

  @AfterAll
  static void stop() throws Exception {
    for (FaultyPeer p : peers) {
      p.close();
    }
    for (DaemonProcess x : new DaemonProcess[] {r, h}) {
      if (x != null) {
        x.close();
      }
    }
  }

  /** A liar joined to the network, offering far more free places than any honest node (so it is tried first). */
  static FaultyPeer liar(Lie lie) throws Exception {
    FaultyPeer p = FaultyPeer.start(RemoteNet.address(r), lie);
    peers.add(p);
    p.offer(1000, Duration.ofMinutes(10));
    return p;
  }

  @Test
  void everyLieIsCaughtByItsCheckAndTheJobFinishesOnTheHonestExecutor() throws Exception {
    List<FaultyPeer> liars = new ArrayList<>();
    for (Lie lie : Lie.values()) {
      if (lie.check != null) {
        liars.add(liar(lie));
      }
    }
    List<String> all = new ArrayList<>(liars.stream().map(FaultyPeer::peerId).toList());
    all.add(hId);
    RemoteNet.awaitExecutors(r, all);

    // Deterministic, so that a liar can also be caught running it in another recorded world.
    String id =
        r.submit(RemoteNet.job(hello, List.of("peers"), "remote", ", \"deterministic\": true"));
    JsonNode j = r.await(id, 240);
    assertEquals("finished", j.get("state").asString(), j::toString);
    assertEquals("completed", j.get("outcome").get("kind").asString(), j::toString);
    assertEquals(List.of(hId), List.of(j.get("executedBy").get(0).asString()), j::toString);
    assertEquals(1, j.get("executedBy").size(), j::toString);
    assertEquals(
        "Hello from WebAssembly!\narg 1: peers\n",
        new String(r.getBytes("/v1/jobs/" + id + "/stdout").body(), StandardCharsets.UTF_8));
    byte[] receipt = r.getBytes("/v1/jobs/" + id + "/receipt").body();
    ReceiptVerifier.Report report =
        new ReceiptVerifier(ReceiptSchemes.discover())
            .verify(
                receipt,
                new ReceiptVerifier.Request(
                    hello,
                    r.getBytes("/v1/jobs/" + id + "/stdout").body(),
                    null,
                    List.of(hId),
                    null,
                    null));
    assertTrue(report.passed(), report::toString);

    // One attempt per liar, each invalid and naming the check that caught it, then the honest one.
    JsonNode attempts = j.get("attempts");
    assertEquals(liars.size() + 1, attempts.size(), j::toString);
    for (FaultyPeer p : liars) {
      JsonNode a = attemptOf(j, p.peerId());
      assertNotNull(a, () -> "no attempt on the " + p.lie + " liar: " + j);
      assertEquals("invalid", a.get("result").asString(), a::toString);
      String lie = p.lie.name();
      String check = p.lie.check;
      assertTrue(
          a.get("detail").asString().startsWith(check + ": "),
          () -> lie + " must fail the " + check + " check: " + a);
      assertTrue(a.has("endedAt"), a::toString);
      assertEquals(1, p.taken.size(), () -> lie + " was sent the job once: " + p.taken);
    }
    JsonNode last = attempts.get(attempts.size() - 1);
    assertEquals(hId, last.get("peerId").asString(), j::toString);
    assertEquals("ok", last.get("result").asString(), j::toString);

    // Each liar's lie is counted, in the API and on disk; the honest node's success too.
    for (FaultyPeer p : liars) {
      JsonNode rep = RemoteNet.peer(r, p.peerId()).get("reputation");
      assertEquals(1, rep.get("lies").asLong(), rep::toString);
      assertEquals(0, rep.get("successes").asLong(), rep::toString);
      assertEquals(1, RemoteNet.reputationOnDisk(r, p.peerId()).get("lies").asLong());
      assertTrue(
          rep.get("score").asDouble()
              < RemoteNet.peer(r, hId).get("reputation").get("score").asDouble());
    }
    assertEquals(1, RemoteNet.peer(r, hId).get("reputation").get("successes").asLong());
    assertEquals(
        liars.size(), RemoteNet.metric(r, "plasm_remote_attempts_total{result=\"invalid\"}"));
    for (Lie lie : Lie.values()) {
      if (lie.check != null) {
        assertTrue(
            RemoteNet.metric(r, "plasm_remote_results_rejected_total{check=\"" + lie.check + "\"}")
                >= 1,
            lie::name);
      }
    }
    assertEquals(
        liars.size(),
        r.log().lines().filter(l -> l.contains("an executor's result failed a check")).count(),
        r.log());
  }

  @Test
  void aJobPinnedToALiarFailsNamingTheCheckWithNoReceipt() throws Exception {
    FaultyPeer p = liar(Lie.TAMPERED_STDOUT);
    RemoteNet.awaitExecutors(r, List.of(p.peerId()));
    String id = r.submit(RemoteNet.job(hello, List.of("pinned"), p.peerId(), ""));
    JsonNode j = r.await(id, 120);
    assertEquals("finished", j.get("state").asString(), j::toString);
    assertEquals("failed", j.get("outcome").get("kind").asString(), j::toString);
    assertTrue(j.get("reason").asString().contains("invalid (stdout: "), j::toString);
    assertFalse(j.get("receipt").asBoolean(), j::toString);
    assertFalse(j.has("executedBy") && !j.get("executedBy").isEmpty(), j::toString);
    assertEquals(1, j.get("attempts").size(), j::toString);
    assertEquals("invalid", j.get("attempts").get(0).get("result").asString(), j::toString);
    assertEquals(404, r.getBytes("/v1/jobs/" + id + "/receipt").statusCode());
    assertEquals(
        0,
        r.getBytes("/v1/jobs/" + id + "/stdout").body().length,
        "nothing a liar sent is kept as output");
    assertEquals(1, p.taken.size(), p.taken::toString);
    assertEquals(1, RemoteNet.peer(r, p.peerId()).get("reputation").get("lies").asLong());
  }

  private static JsonNode attemptOf(JsonNode job, String peer) {
    for (JsonNode a : job.get("attempts")) {
      if (a.get("peerId").asString().equals(peer)) {
        return a;
      }
    }
    return null;
  }
}
