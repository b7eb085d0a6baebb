package dev.plasm.daemon;

import static dev.plasm.daemon.DaemonProcess.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.fixtures.Fixtures;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * An executor killed ({@code kill -9}) while it runs a requester's job: the requester notices at
 * once (the connection breaks), records the attempt {@code lost}, and moves the job to another
 * executor, or fails it saying so when the job was pinned there; it never hangs. The killed
 * executor, restarted, ends the job it was running {@code interrupted} with a receipt that says so,
 * and the requester never hears of it.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class ExecutorKilledTests {
  @TempDir static Path tmp;
  static DaemonProcess r;
  static String rId;

  /** The executors by peer id; a killed one is replaced by its restart. */
  static final Map<String, DaemonProcess> executors = new ConcurrentHashMap<>();

  static byte[] probe = Fixtures.bytes("probe");

  @BeforeAll
  static void startNetwork() throws Exception {
    r = DaemonProcess.start(tmp.resolve("r"), RemoteNet.P2P + "[remote]\nenabled = false\n");
    rId = RemoteNet.peerId(r);
    for (String name : List.of("e1", "e2")) {
      DaemonProcess e =
          DaemonProcess.start(tmp.resolve(name), RemoteNet.joining(r) + RemoteNet.EXECUTOR);
      executors.put(RemoteNet.peerId(e), e);
    }
    RemoteNet.awaitExecutors(r, executors.keySet());
  }

  @AfterAll
  static void stop() throws Exception {
    for (DaemonProcess x : executors.values()) {
      x.close();
    }
    if (r != null) {
      r.close();
    }
  }

  /** A job that sleeps for a while there, so that it is surely running when its executor is killed. */
  static String sleeper(String placement) {
    return RemoteNet.job(
        probe, List.of("sleep", "6"), placement, ", \"limits\": {\"timeoutMillis\": 60000}");
  }

  /** Kills the executor running the job once it runs there; returns its peer id and its job id there. */
  static String[] killWhereItRuns(String jobId) throws Exception {
    String[] at = RemoteNet.awaitAccepted(r, jobId, 60).split(" ");
    DaemonProcess x = executors.get(at[0]);
    x.awaitState(at[1], "running", 60);
    x.kill();
    return at;
  }

  /** Restarts a killed executor on its state (same identity) and checks what it recorded of the job it was running. */
  static void restartAndCheck(String peer, String executorJobId, String requesterJobId)
      throws Exception {
    DaemonProcess old = executors.get(peer);
    DaemonProcess again = DaemonProcess.start(old.state, RemoteNet.joining(r) + RemoteNet.EXECUTOR);
    executors.put(peer, again);
    JsonNode there = json(again.get("/v1/jobs/" + executorJobId));
    assertEquals("interrupted", there.get("state").asString(), there::toString);
    assertEquals("interrupted", there.get("outcome").get("kind").asString(), there::toString);
    assertEquals(rId, there.get("requester").get("peerId").asString(), there::toString);
    assertEquals(requesterJobId, there.get("requester").get("jobId").asString(), there::toString);
    assertEquals(
        200,
        again.getBytes("/v1/jobs/" + executorJobId + "/receipt").statusCode(),
        "a receipt saying it was interrupted");
    RemoteNet.awaitExecutors(r, List.of(peer));
  }

  @Test
  void theJobMovesToAnotherExecutorAndTheKilledAttemptIsLost() throws Exception {
    String id = r.submit(sleeper("remote"));
    String[] killed = killWhereItRuns(id);
    JsonNode j = r.await(id, 120);
    assertEquals("finished", j.get("state").asString(), j::toString);
    assertEquals("completed", j.get("outcome").get("kind").asString(), j::toString);
    assertEquals(0, j.get("outcome").get("exitCode").asInt(), j::toString);
    String other =
        executors.keySet().stream().filter(p -> !p.equals(killed[0])).findFirst().orElseThrow();
    assertEquals(List.of(other), List.of(j.get("executedBy").get(0).asString()), j::toString);
    JsonNode attempts = j.get("attempts");
    assertEquals(2, attempts.size(), j::toString);
    assertEquals(killed[0], attempts.get(0).get("peerId").asString(), j::toString);
    assertEquals("lost", attempts.get(0).get("result").asString(), j::toString);
    assertEquals(killed[1], attempts.get(0).get("executorJobId").asString(), j::toString);
    assertEquals("ok", attempts.get(1).get("result").asString(), j::toString);
    assertTrue(RemoteNet.reputationOnDisk(r, killed[0]).get("failures").asLong() >= 1);
    // It ran once where it finished.
    assertEquals(1, RemoteNet.jobsFor(executors.get(other), rId, id).size());

    restartAndCheck(killed[0], killed[1], id);
    JsonNode after = json(r.get("/v1/jobs/" + id));
    assertEquals(
        j.get("finishedAt").asString(),
        after.get("finishedAt").asString(),
        "the job was reported once");
    assertEquals(j.get("attempts"), after.get("attempts"), after::toString);
  }

  @Test
  void aJobPinnedToTheKilledExecutorFailsSayingItWasLost() throws Exception {
    String pin = executors.keySet().iterator().next();
    String id = r.submit(sleeper(pin));
    String[] killed = killWhereItRuns(id);
    assertEquals(pin, killed[0]);
    JsonNode j = r.await(id, 120);
    assertEquals("finished", j.get("state").asString(), j::toString);
    assertEquals("failed", j.get("outcome").get("kind").asString(), j::toString);
    assertTrue(j.get("reason").asString().contains("lost"), j::toString);
    assertFalse(j.get("receipt").asBoolean(), j::toString);
    assertEquals(1, j.get("attempts").size(), j::toString);
    assertEquals("lost", j.get("attempts").get(0).get("result").asString(), j::toString);

    restartAndCheck(killed[0], killed[1], id);
    assertEquals("failed", json(r.get("/v1/jobs/" + id)).get("outcome").get("kind").asString());
  }
}
