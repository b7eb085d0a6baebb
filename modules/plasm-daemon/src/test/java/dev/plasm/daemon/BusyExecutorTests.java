package dev.plasm.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.fixtures.Fixtures;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * A busy executor: B takes one job at a time from any one peer ({@code remote.per-peer-concurrent =
 * 1}). The requester (R) asks the least busy executor first, counting the attempts it has out to
 * each; with one of R's jobs on B and two on C, R asks B, which refuses the next {@code busy}: the
 * refusal is recorded and the job runs on C. Pinned to B, the job is asked again after B's hint, up
 * to {@code remote.max-attempts} times, then fails saying B was busy. A busy refusal is not held
 * against B.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class BusyExecutorTests {
  @TempDir static Path tmp;
  static DaemonProcess r;
  static DaemonProcess b;
  static DaemonProcess c;
  static String rId;
  static String bId;
  static String cId;
  static byte[] probe = Fixtures.bytes("probe");
  static final List<String> occupying = new java.util.concurrent.CopyOnWriteArrayList<>();

  @BeforeAll
  static void startNetwork() throws Exception {
    r = DaemonProcess.start(tmp.resolve("r"), RemoteNet.P2P + "[remote]\nenabled = false\n");
    rId = RemoteNet.peerId(r);
    b =
        DaemonProcess.start(
            tmp.resolve("b"),
            RemoteNet.joining(r) + RemoteNet.EXECUTOR + "per-peer-concurrent = 1\n");
    c =
        DaemonProcess.start(
            tmp.resolve("c"), RemoteNet.joining(r) + RemoteNet.EXECUTOR + "max-concurrent = 4\n");
    bId = RemoteNet.peerId(b);
    cId = RemoteNet.peerId(c);
    RemoteNet.awaitExecutors(r, List.of(bId, cId));
  }

  @AfterAll
  static void stop() throws Exception {
    for (DaemonProcess x : new DaemonProcess[] {r, b, c}) {
      if (x != null) {
        x.close();
      }
    }
  }

  /** Occupies R's one place on B with a job that sleeps {@code seconds} there; returns its id at R. */
  static String occupyB(int seconds) throws Exception {
    for (String earlier : occupying) {
      r.await(earlier, 120); // a test that failed may have left one there
    }
    return occupy(bId, seconds);
  }

  /** Runs a job of R's on {@code peer} that sleeps {@code seconds} there; returns its id at R once accepted. */
  static String occupy(String peer, int seconds) throws Exception {
    String id =
        r.submit(
            RemoteNet.job(
                probe,
                List.of("sleep", Integer.toString(seconds)),
                peer,
                ", \"limits\": {\"timeoutMillis\": 60000}"));
    String[] at = RemoteNet.awaitAccepted(r, id, 60).split(" ");
    assertEquals(peer, at[0]);
    occupying.add(id);
    return id;
  }

  @Test
  void anotherProviderIsUsedAndTheRefusalIsRecorded() throws Exception {
    String first = occupyB(10);
    // C is busier still (two of R's jobs), so R's least busy executor is B.
    occupy(cId, 10);
    occupy(cId, 10);
    long busyBefore = RemoteNet.metric(b, "plasm_remote_jobs_refused_total{code=\"busy\"}");
    String id = r.submit(RemoteNet.job(RemoteNet.hello(), List.of("elsewhere"), "remote", ""));
    JsonNode j = r.await(id, 120);
    assertEquals("completed", j.get("outcome").get("kind").asString(), j::toString);
    assertEquals(cId, j.get("executedBy").get(0).asString(), j::toString);
    JsonNode attempts = j.get("attempts");
    assertEquals(2, attempts.size(), j::toString);
    assertEquals(bId, attempts.get(0).get("peerId").asString(), j::toString);
    assertEquals("refused", attempts.get(0).get("result").asString(), j::toString);
    assertTrue(attempts.get(0).get("detail").asString().startsWith("busy: "), j::toString);
    assertEquals(cId, attempts.get(1).get("peerId").asString(), j::toString);
    assertEquals("ok", attempts.get(1).get("result").asString(), j::toString);
    assertEquals(
        busyBefore + 1, RemoteNet.metric(b, "plasm_remote_jobs_refused_total{code=\"busy\"}"));
    assertTrue(RemoteNet.jobsFor(b, rId, id).isEmpty(), "B never took the job it refused");
    assertEquals(1, RemoteNet.jobsFor(c, rId, id).size(), "C ran it once");

    // The first job was not disturbed, and B's refusal did not count against it.
    JsonNode f = r.await(first, 120);
    assertEquals("completed", f.get("outcome").get("kind").asString(), f::toString);
    assertEquals(bId, f.get("executedBy").get(0).asString(), f::toString);
    assertEquals(0, RemoteNet.reputationOnDisk(r, bId).path("failures").asLong());
  }

  @Test
  void pinnedToABusyExecutorTheJobIsAskedAgainAfterTheHintThenFailsClearly() throws Exception {
    String first = occupyB(12);
    String id = r.submit(RemoteNet.job(RemoteNet.hello(), List.of("pinned"), bId, ""));
    JsonNode j = r.await(id, 120);
    assertEquals("failed", j.get("outcome").get("kind").asString(), j::toString);
    assertFalse(j.get("receipt").asBoolean(), j::toString);
    JsonNode attempts = j.get("attempts");
    assertEquals(3, attempts.size(), "remote.max-attempts (3) tries: " + j);
    Instant previous = null;
    for (JsonNode a : attempts) {
      assertEquals(bId, a.get("peerId").asString(), j::toString);
      assertEquals("refused", a.get("result").asString(), j::toString);
      assertTrue(a.get("detail").asString().startsWith("busy: "), j::toString);
      Instant at = Instant.parse(a.get("startedAt").asString());
      if (previous != null) {
        // B's hint is 1 s: the requester waited at least that long before asking again.
        assertTrue(Duration.between(previous, at).toMillis() >= 950, j::toString);
      }
      previous = Instant.parse(a.get("endedAt").asString());
    }
    assertTrue(j.get("reason").asString().contains("refused (busy: "), j::toString);
    assertTrue(RemoteNet.jobsFor(b, rId, id).isEmpty());
    assertEquals(0, RemoteNet.reputationOnDisk(r, bId).path("failures").asLong());
    assertEquals("completed", r.await(first, 120).get("outcome").get("kind").asString());
  }
}
