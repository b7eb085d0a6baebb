package dev.plasm.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.JobState;
import dev.plasm.api.ResourceLimits;
import dev.plasm.api.Usage;
import dev.plasm.daemon.internal.store.JobRecord;
import dev.plasm.daemon.internal.store.JobRecordJson;
import dev.plasm.daemon.internal.store.JobStore;
import dev.plasm.daemon.internal.store.WorkerResult;
import dev.plasm.job.JobPlan;
import dev.plasm.receipt.spi.ReceiptCodec;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobStoreTests {
  @TempDir Path state;

  static JobRecord queued(JobStore s) {
    JobPlan plan =
        new JobPlan(
            "a".repeat(64),
            10,
            "x.wasm",
            List.of("a", "b c"),
            Map.of("K", "V"),
            3,
            new JobPlan.Engine("chicory-interpreter", "1.7.5"),
            ResourceLimits.DEFAULTS,
            false,
            null);
    return JobRecord.queued(s.newId(), Instant.now(), plan, null, "key-1", "0".repeat(64));
  }

  /** Recovery here ends a job that was running as the daemon does, without a receipt (no identity). */
  static final JobStore.Recovery NO_RECEIPT =
      (r, store) ->
          new JobStore.Ended(
              r.ended(
                  JobState.INTERRUPTED,
                  Instant.now(),
                  new ExecutionOutcome.Interrupted(
                      "the daemon stopped while the job was running", Usage.NONE),
                  "the daemon stopped while the job was running",
                  false),
              null);

  @Test
  void recordsAndPartsSurviveAReopenInOneJournalWithoutAFilePerJob() throws Exception {
    JobStore s = JobStore.open(state, NO_RECEIPT, (r, w) -> {});
    JobRecord r = s.create(queued(s), new byte[] {1, 2, 3});
    s.update(r.running(Instant.now()));
    JobRecord done =
        r.running(Instant.now())
            .ended(
                JobState.FINISHED,
                Instant.now(),
                new ExecutionOutcome.Completed(
                    0, new Usage(Duration.ofNanos(5000), 1, OptionalLong.empty(), 5, 0)),
                null,
                true);
    byte[] receipt = "{\"receipt\": true}".getBytes(StandardCharsets.UTF_8);
    s.end(
        done,
        new JobStore.Parts(
            "hello".getBytes(StandardCharsets.UTF_8), new byte[0], receipt, false, false));
    s.close();
    List<String> recovered = new ArrayList<>();
    JobStore again = JobStore.open(state, NO_RECEIPT, (x, w) -> recovered.add(w));
    assertEquals(done, again.get(r.id()));
    assertTrue(recovered.isEmpty(), recovered::toString);
    assertEquals(r.id(), again.byIdempotencyKey("key-1").id());
    assertArrayEquals(new byte[] {1, 2, 3}, again.read(r.id(), JobStore.Part.STDIN));
    assertEquals(
        "hello", new String(again.read(r.id(), JobStore.Part.STDOUT), StandardCharsets.UTF_8));
    assertArrayEquals(receipt, again.read(r.id(), JobStore.Part.RECEIPT));
    assertEquals(0, again.read(r.id(), JobStore.Part.STDERR).length);
    assertEquals(null, again.part(r.id(), JobStore.Part.STDERR));
    assertEquals(
        ReceiptCodec.sha256("hello".getBytes(StandardCharsets.UTF_8)),
        again.digest(r.id(), JobStore.Part.STDOUT).sha256());
    // Three appends in one file; no directory or file per job.
    assertFalse(Files.exists(state.resolve("jobs")));
    try (Stream<Path> files = Files.list(state.resolve("journal"))) {
      List<Path> segments = files.toList();
      assertEquals(
          List.of("00000001.journal"),
          segments.stream().map(p -> p.getFileName().toString()).toList());
      assertEquals(
          "rw-------",
          PosixFilePermissions.toString(Files.getPosixFilePermissions(segments.get(0))));
    }
    assertEquals(
        "rwx------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(state.resolve("journal"))));
    again.close();
  }

  @Test
  void anOutputSpilledToAFileIsReadFromItWhileTheJobRunsAndAfter() throws Exception {
    JobStore s = JobStore.open(state, NO_RECEIPT, (r, w) -> {});
    JobRecord r = s.create(queued(s), new byte[0]).running(Instant.now());
    s.update(r);
    assertEquals(null, s.part(r.id(), JobStore.Part.STDOUT), "nothing written yet");
    Files.write(
        s.spillFile(r.id(), JobStore.Part.STDOUT), "so far".getBytes(StandardCharsets.UTF_8));
    assertEquals(
        "so far", new String(s.read(r.id(), JobStore.Part.STDOUT), StandardCharsets.UTF_8));
    Files.write(
        s.spillFile(r.id(), JobStore.Part.STDOUT),
        "so far, and more".getBytes(StandardCharsets.UTF_8));
    JobRecord done =
        r.ended(
            JobState.FINISHED,
            Instant.now(),
            new ExecutionOutcome.Completed(
                0, new Usage(Duration.ofNanos(5000), 1, OptionalLong.empty(), 16, 0)),
            null,
            false);
    s.end(done, new JobStore.Parts(null, new byte[0], null, true, false));
    s.close();
    JobStore again = JobStore.open(state, NO_RECEIPT, (x, w) -> {});
    assertEquals(
        "so far, and more",
        new String(again.read(r.id(), JobStore.Part.STDOUT), StandardCharsets.UTF_8));
    again.close();
  }

  @Test
  void recoveryInterruptsUnfinishedJobsAndCompletesThoseOfTheOldLayoutWithAResult()
      throws Exception {
    JobStore s = JobStore.open(state, NO_RECEIPT, (r, w) -> {});
    JobRecord q = s.create(queued(s), new byte[0]);
    JobRecord run = s.create(queued(s), new byte[0]);
    s.update(run.running(Instant.now()));
    s.close();
    // A job of the layout before the journal, running, with its worker's result beside it (a crash
    // between the worker's result.json and the daemon's job.json).
    JobRecord ran = queued(s).running(Instant.now());
    Path dir = Files.createDirectories(state.resolve("jobs").resolve(ran.id()));
    Files.write(dir.resolve("job.json"), JobRecordJson.disk(ran));
    WorkerResult wr =
        new WorkerResult(
            new ExecutionOutcome.Completed(
                7, new Usage(Duration.ofNanos(1000), 1, OptionalLong.empty(), 2, 0)),
            Instant.now(),
            Instant.now(),
            null);
    Files.write(dir.resolve(JobStore.RESULT), wr.toJson());
    Files.write(dir.resolve(JobStore.STDOUT), "ok".getBytes(StandardCharsets.UTF_8));
    // A directory without a record is a submission that was never accepted: ignored.
    Files.createDirectories(state.resolve("jobs").resolve(s.newId()));

    List<String> recovered = new ArrayList<>();
    JobStore again = JobStore.open(state, NO_RECEIPT, (x, w) -> recovered.add(x.id() + " " + w));
    assertEquals(3, recovered.size(), recovered::toString);
    JobRecord q2 = again.get(q.id());
    assertEquals(JobState.INTERRUPTED, q2.state());
    assertTrue(q2.reason().contains("never ran"), q2.reason());
    JobRecord run2 = again.get(run.id());
    assertEquals(JobState.INTERRUPTED, run2.state());
    assertTrue(run2.reason().contains("was running"), run2.reason());
    JobRecord ran2 = again.get(ran.id());
    assertEquals(JobState.FINISHED, ran2.state());
    assertEquals(7, ((ExecutionOutcome.Completed) ran2.outcome()).exitCode());
    assertEquals(
        "ok", new String(again.read(ran.id(), JobStore.Part.STDOUT), StandardCharsets.UTF_8));
    assertTrue(again.whenDone(q.id()).isDone());
    again.close();
    // Recovery is written back (to the journal; the old job.json is left as it was): a third open
    // changes nothing.
    List<String> third = new ArrayList<>();
    JobStore t = JobStore.open(state, NO_RECEIPT, (x, w) -> third.add(w));
    assertTrue(third.isEmpty(), third::toString);
    assertEquals(JobState.FINISHED, t.get(ran.id()).state());
    t.close();
  }

  @Test
  void listingIsNewestFirstAndPaged() throws Exception {
    JobStore s = JobStore.open(state, NO_RECEIPT, (r, w) -> {});
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(s.create(queued(s), new byte[0]).id());
      Thread.sleep(2);
    }
    List<JobStore.Entry> first = s.list(2, null, null);
    assertEquals(
        List.of(ids.get(4), ids.get(3)), first.stream().map(e -> e.record().id()).toList());
    List<JobStore.Entry> next = s.list(2, first.get(1).record().id(), null);
    assertEquals(List.of(ids.get(2), ids.get(1)), next.stream().map(e -> e.record().id()).toList());
    assertEquals(2, next.get(0).argCount());
    s.close();
  }
}
