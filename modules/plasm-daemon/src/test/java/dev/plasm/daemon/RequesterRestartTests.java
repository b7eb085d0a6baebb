package dev.plasm.daemon;

import static dev.plasm.daemon.DaemonProcess.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.fixtures.Fixtures;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * The requester (R) stops while its job runs on an executor (E), by SIGTERM or {@code kill -9}, and
 * starts again on the same state: it asks E for the job by its id and completes it with E's result,
 * exactly once (E ran it once); or, when E no longer knows the job, ends it saying so.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class RequesterRestartTests {
  static final String REQUESTER = "[remote]\nenabled = false\n";

  @TempDir Path tmp;
  DaemonProcess e;
  DaemonProcess r;
  String eId;
  String rId;

  @BeforeEach
  void startNetwork() throws Exception {
    e = DaemonProcess.start(tmp.resolve("e"), RemoteNet.P2P + RemoteNet.EXECUTOR);
    eId = RemoteNet.peerId(e);
    r = DaemonProcess.start(tmp.resolve("r"), RemoteNet.joining(e) + REQUESTER);
    rId = RemoteNet.peerId(r);
    RemoteNet.awaitExecutors(r, List.of(eId));
  }

  @AfterEach
  void stop() throws Exception {
    for (DaemonProcess x : new DaemonProcess[] {r, e}) {
      if (x != null) {
        x.close();
      }
    }
  }

  /** Submits a job that sleeps on E; returns its id at R and E's job id once it runs there. */
  String[] sleeperRunningOnE() throws Exception {
    String id =
        r.submit(
            RemoteNet.job(
                Fixtures.bytes("probe"),
                List.of("sleep", "6"),
                "remote",
                ", \"limits\": {\"timeoutMillis\": 60000}"));
    String[] at = RemoteNet.awaitAccepted(r, id, 60).split(" ");
    assertEquals(eId, at[0]);
    e.awaitState(at[1], "running", 60);
    return new String[] {id, at[1]};
  }

  /** What R has on disk for the job while it is down: still out on E, its attempt still running. */
  JsonNode onDisk(String id) throws Exception {
    JsonNode j = DaemonProcess.recordOnDisk(r.state, id);
    assertNotNull(j, "no record of " + id + " on disk");
    return j;
  }

  DaemonProcess restartR() throws Exception {
    return DaemonProcess.start(r.state, RemoteNet.joining(e) + REQUESTER);
  }

  void assertCompletedOnceWithTheExecutorsResult(String id, String executorJobId) throws Exception {
    JsonNode j = r.await(id, 120);
    assertEquals("finished", j.get("state").asString(), j::toString);
    assertEquals("completed", j.get("outcome").get("kind").asString(), j::toString);
    assertEquals(List.of(eId), List.of(j.get("executedBy").get(0).asString()), j::toString);
    assertEquals(1, j.get("attempts").size(), j::toString);
    assertEquals("ok", j.get("attempts").get(0).get("result").asString(), j::toString);
    assertEquals(
        executorJobId, j.get("attempts").get(0).get("executorJobId").asString(), j::toString);
    assertTrue(r.logContains("reattaching a remote job after the restart"), r::log);
    // E ran it once, and R keeps exactly E's signed receipt.
    List<JsonNode> there = RemoteNet.jobsFor(e, rId, id);
    assertEquals(1, there.size(), there::toString);
    assertEquals(executorJobId, there.get(0).get("id").asString());
    assertEquals(
        json(e.get("/v1/jobs/" + executorJobId + "/receipt")),
        json(r.get("/v1/jobs/" + id + "/receipt")));
  }

  @Test
  void afterSigtermTheJobIsReattachedAndCompletesExactlyOnce() throws Exception {
    String[] job = sleeperRunningOnE();
    int code = r.terminate();
    assertTrue(
        code == 0 || code == 143,
        "exit code " + code + "\n" + r.log()); // 143: the JVM's exit on SIGTERM
    JsonNode down = onDisk(job[0]);
    assertEquals("running", down.get("state").asString(), down::toString);
    assertEquals("running", down.get("attempts").get(0).get("result").asString(), down::toString);
    r = restartR();
    assertCompletedOnceWithTheExecutorsResult(job[0], job[1]);
  }

  @Test
  void afterKillTheJobIsReattachedAndCompletesExactlyOnce() throws Exception {
    String[] job = sleeperRunningOnE();
    r.kill();
    assertEquals("running", onDisk(job[0]).get("attempts").get(0).get("result").asString());
    r = restartR();
    assertCompletedOnceWithTheExecutorsResult(job[0], job[1]);
  }

  @Test
  void whenTheExecutorForgotTheJobItEndsSayingSo() throws Exception {
    String[] job = sleeperRunningOnE();
    r.kill();
    // E loses the job (its records gone, as if they had been cleaned away: E ran no other job) and
    // restarts on the same identity.
    e.kill();
    assertNotNull(DaemonProcess.recordOnDisk(e.state, job[1]));
    deleteTree(e.state.resolve("journal"));
    assertNull(DaemonProcess.recordOnDisk(e.state, job[1]));
    e = DaemonProcess.start(e.state, RemoteNet.P2P + RemoteNet.EXECUTOR);
    r = restartR();
    JsonNode j = r.await(job[0], 120);
    assertEquals("finished", j.get("state").asString(), j::toString);
    assertEquals("failed", j.get("outcome").get("kind").asString(), j::toString);
    assertFalse(j.get("receipt").asBoolean(), j::toString);
    assertEquals(1, j.get("attempts").size(), j::toString);
    JsonNode a = j.get("attempts").get(0);
    assertEquals("lost", a.get("result").asString(), j::toString);
    assertTrue(a.get("detail").asString().contains("unknown-job"), j::toString);
    assertTrue(j.get("reason").asString().contains("lost"), j::toString);
    assertTrue(RemoteNet.jobsFor(e, rId, job[0]).isEmpty(), "E did not run it again");
  }

  static void deleteTree(Path p) throws Exception {
    try (var s = Files.walk(p)) {
      for (Path x : s.sorted(java.util.Comparator.reverseOrder()).toList()) {
        Files.delete(x);
      }
    }
  }
}
