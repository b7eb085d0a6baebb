package dev.plasm.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
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
  void aNotedChangeIsSeenAtOnceButOnlyTheNextDurableEntryKeepsIt() throws Exception {
    JobStore s = JobStore.open(state, NO_RECEIPT, (r, w) -> {});
    JobRecord r = s.create(queued(s), new byte[0]);
    long syncs = s.journalSyncs();
    s.note(r.running(Instant.now()));
    assertEquals(JobState.RUNNING, s.get(r.id()).state(), "seen at once");
    assertEquals(syncs, s.journalSyncs(), "nothing written");
    s.close();
    List<String> recovered = new ArrayList<>();
    JobStore again = JobStore.open(state, NO_RECEIPT, (x, w) -> recovered.add(w));
    // On disk the job was still queued: a restart ends it as one that never started.
    assertEquals(List.of("interrupted (never started)"), recovered);
    JobRecord next = again.create(queued(again), new byte[0]);
    JobRecord running = next.running(Instant.now());
    again.note(running);
    JobRecord done =
        running.ended(JobState.CANCELLED, Instant.now(), null, "cancelled by the client", false);
    again.end(done, JobStore.Parts.NONE);
    again.note(running); // too late: the end stands
    assertEquals(JobState.CANCELLED, again.get(next.id()).state());
    assertThrows(IllegalArgumentException.class, () -> again.note(done));
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

  /** Ends {@code r} (queued) as finished at {@code at}, with some stdout and a receipt. */
  static JobRecord finish(JobStore s, JobRecord r, Instant at) throws Exception {
    JobRecord done =
        r.running(at)
            .ended(
                JobState.FINISHED,
                at,
                new ExecutionOutcome.Completed(
                    0, new Usage(Duration.ofNanos(5000), 1, OptionalLong.empty(), 5, 0)),
                null,
                true);
    s.end(
        done,
        new JobStore.Parts(
            ("out of " + r.id()).getBytes(StandardCharsets.UTF_8),
            new byte[0],
            "{}".getBytes(StandardCharsets.UTF_8),
            false,
            false));
    return done;
  }

  static JobRecord queued(JobStore s, String key) {
    JobRecord q = queued(s);
    return JobRecord.queued(q.id(), q.createdAt(), q.plan(), null, key, q.requestSha256());
  }

  @Test
  void endedJobsPastRetentionAreForgottenDurablyWithTheirFiles() throws Exception {
    JobStore s = JobStore.open(state, NO_RECEIPT, (r, w) -> {});
    Instant now = Instant.now();
    JobRecord old = finish(s, s.create(queued(s, "old"), new byte[] {9}), now.minusSeconds(7200));
    Files.write(s.spillFile(old.id(), JobStore.Part.STDERR), new byte[] {1});
    JobRecord recent = finish(s, s.create(queued(s, "recent"), new byte[0]), now.minusSeconds(60));
    JobRecord waiting = s.create(queued(s, "waiting"), new byte[0]);

    JobStore.Expired e = s.expire(now, Duration.ofHours(1), 100);
    assertEquals(1, e.jobs());
    assertEquals(null, s.get(old.id()));
    assertEquals(null, s.state(old.id()));
    assertEquals(null, s.byIdempotencyKey("old"), "its idempotency key may be used again");
    assertEquals(null, s.part(old.id(), JobStore.Part.STDOUT));
    assertFalse(
        Files.exists(s.spillFile(old.id(), JobStore.Part.STDERR)), "spilled output deleted");
    assertEquals(recent, s.get(recent.id()));
    assertEquals(JobState.QUEUED, s.state(waiting.id()), "a job not ended is never forgotten");
    assertEquals(
        List.of(waiting.id(), recent.id()),
        s.list(10, null, null).stream().map(x -> x.record().id()).toList());
    assertEquals(2, s.size());
    s.close();

    // The forget entry is in the journal: a restart does not bring the job back.
    JobStore again = JobStore.open(state, NO_RECEIPT, (x, w) -> {});
    assertEquals(null, again.get(old.id()));
    assertEquals(null, again.byIdempotencyKey("old"));
    assertEquals(recent, again.get(recent.id()));
    assertEquals(
        "out of " + recent.id(),
        new String(again.read(recent.id(), JobStore.Part.STDOUT), StandardCharsets.UTF_8));
    again.close();
  }

  @Test
  void beyondTheCountTheOldestEndedJobsGoFirst() throws Exception {
    JobStore s = JobStore.open(state, NO_RECEIPT, (r, w) -> {});
    Instant now = Instant.now();
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      // Ended in an order other than their creation: the count keeps the latest to end.
      ids.add(
          finish(
                  s,
                  s.create(queued(s), new byte[0]),
                  now.minusSeconds(10 * (i % 2 == 0 ? i : 100 - i)))
              .id());
    }
    assertEquals(3, s.expire(now, Duration.ofDays(1), 3).jobs());
    assertEquals(
        List.of(ids.get(0), ids.get(2), ids.get(4)),
        ids.stream().filter(id -> s.get(id) != null).toList());
    assertEquals(0, s.expire(now, Duration.ofDays(1), 3).jobs(), "a second pass has nothing to do");
    s.close();
  }

  @Test
  void journalSegmentsNoJobNeedsAreDeletedAndTheRestReplayWhole() throws Exception {
    // Small segments: a few jobs each.
    JobStore s = JobStore.open(state, NO_RECEIPT, (r, w) -> {}, 4096);
    Instant now = Instant.now();
    byte[] stdin = new byte[700];
    JobRecord pinned = s.create(queued(s), stdin); // not ended: its stdin keeps segment 1
    List<JobRecord> done = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      done.add(finish(s, s.create(queued(s), stdin), now.minusSeconds(3600)));
    }
    long before = segments();
    assertTrue(before > 5, "segments: " + before);
    JobStore.Expired e = s.expire(now, Duration.ofMinutes(1), 1000);
    assertEquals(40, e.jobs());
    assertEquals(
        0,
        e.bytesFreed(),
        "segment 1 holds a job not ended, and every later one is needed after it");
    assertEquals(before, segments());

    finish(s, pinned, now.minusSeconds(3600));
    JobRecord kept = finish(s, s.create(queued(s), new byte[] {7}), now);
    e = s.expire(now, Duration.ofMinutes(1), 1000);
    assertEquals(1, e.jobs());
    assertTrue(e.bytesFreed() > 40 * 700, "freed " + e.bytesFreed());
    assertTrue(segments() <= 2, "segments left: " + segments());
    s.close();

    JobStore again = JobStore.open(state, NO_RECEIPT, (x, w) -> {}, 4096);
    assertEquals(1, again.size());
    assertEquals(kept, again.get(kept.id()));
    assertArrayEquals(new byte[] {7}, again.read(kept.id(), JobStore.Part.STDIN));
    assertEquals(null, again.get(done.get(0).id()));
    again.close();
  }

  @Test
  void filesLeftByACrashAfterAForgetAreRemovedOnOpen() throws Exception {
    JobStore s = JobStore.open(state, NO_RECEIPT, (r, w) -> {});
    Path orphan = s.spillFile(s.newId(), JobStore.Part.STDOUT);
    Files.write(orphan, new byte[] {1});
    Path orphanDir = Files.createDirectories(state.resolve("jobs").resolve(s.newId()));
    Files.write(orphanDir.resolve(JobStore.STDIN), new byte[] {1});
    s.close();
    JobStore again = JobStore.open(state, NO_RECEIPT, (x, w) -> {});
    assertFalse(Files.exists(orphan));
    assertFalse(Files.exists(orphanDir));
    again.close();
  }

  @Test
  void aBurstOverTheCountIsForgottenWithoutWaitingForTheNextScheduledPass() throws Exception {
    JobStore s = JobStore.open(state, NO_RECEIPT, (r, w) -> {});
    DaemonConfig.Jobs jobs = new DaemonConfig.Jobs(2, 64, Duration.ofHours(1), 1);
    java.io.ByteArrayOutputStream log = new java.io.ByteArrayOutputStream();
    dev.plasm.daemon.internal.exec.Metrics metrics = new dev.plasm.daemon.internal.exec.Metrics();
    // A pass is due every 6 minutes here (a tenth of the hour, at most one minute): only the
    // store's size over max-retained + 64 can start one within seconds.
    try (var retention =
        new dev.plasm.daemon.internal.exec.Retention(
                s,
                jobs,
                new dev.plasm.daemon.internal.log.Log(new java.io.PrintStream(log, true), "text"),
                metrics)
            .start()) {
      for (int i = 0; i < 70; i++) {
        finish(s, s.create(queued(s), new byte[0]), Instant.now());
      }
      // The pass may come as the 66th job ends (65 forgotten, the last jobs after it kept) or
      // after the 70th (69 forgotten); either way, at most the 5 newest are held within seconds.
      long until = System.nanoTime() + 10_000_000_000L;
      while (s.size() > 5 && System.nanoTime() < until) {
        Thread.sleep(100);
      }
      assertTrue(s.size() <= 5, "the burst was not forgotten early: " + s.size() + " held");
      java.util.regex.Matcher m =
          java.util.regex.Pattern.compile("(?m)^plasm_jobs_forgotten_total (\\d+)$")
              .matcher(metrics.render());
      assertTrue(m.find() && Long.parseLong(m.group(1)) >= 65, metrics.render());
    }
    s.close();
  }

  private long segments() throws Exception {
    try (Stream<Path> files = Files.list(state.resolve("journal"))) {
      return files.count();
    }
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
