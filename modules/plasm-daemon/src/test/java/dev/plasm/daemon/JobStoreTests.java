package dev.plasm.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.daemon.internal.store.AtomicFiles;
import dev.plasm.daemon.internal.store.JobRecord;
import dev.plasm.daemon.internal.store.JobStore;
import dev.plasm.daemon.internal.store.JobState;
import dev.plasm.daemon.internal.store.WorkerResult;
import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.ResourceLimits;
import dev.plasm.api.Usage;
import dev.plasm.job.JobPlan;
import java.time.Duration;
import java.util.OptionalLong;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class JobStoreTests {
  @TempDir Path state;

  static JobRecord queued(JobStore s) {
    JobPlan plan = new JobPlan("a".repeat(64), 10, "x.wasm", List.of("a", "b c"), Map.of("K", "V"), 3,
        new JobPlan.Engine("chicory-interpreter", "1.7.5"), ResourceLimits.DEFAULTS, false, null);
    return JobRecord.queued(s.newId(), Instant.now(), plan, null, "key-1", "0".repeat(64));
  }

  /** Recovery here ends a job that was running as the daemon does, without a receipt (no identity). */
  static final JobStore.Recovery NO_RECEIPT = (r, dir) -> r.ended(JobState.INTERRUPTED, Instant.now(),
      new ExecutionOutcome.Interrupted("the daemon stopped while the job was running", Usage.NONE),
      "the daemon stopped while the job was running", false);

  @Test
  void recordsSurviveAReopenAndAreWrittenAtomically() throws Exception {
    JobStore s = JobStore.open(state, NO_RECEIPT, (r, w) -> {});
    JobRecord r = s.create(queued(s), new byte[] {1, 2, 3});
    JobRecord done = r.running(Instant.now()).ended(JobState.FINISHED, Instant.now(),
        new ExecutionOutcome.Completed(0, new Usage(Duration.ofNanos(5000), 1, OptionalLong.empty(), 0, 0)), null, false);
    s.update(done);
    List<String> recovered = new ArrayList<>();
    JobStore again = JobStore.open(state, NO_RECEIPT, (x, w) -> recovered.add(w));
    assertEquals(done, again.get(r.id()));
    assertTrue(recovered.isEmpty(), recovered::toString);
    assertEquals(r.id(), again.byIdempotencyKey("key-1").id());
    try (Stream<Path> files = Files.list(s.dir(r.id()))) {
      assertEquals(List.of("job.json", "stdin"), files.map(p -> p.getFileName().toString()).sorted().toList());
    }
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(state.resolve("jobs"))));
    assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(s.dir(r.id()).resolve("job.json"))));
  }

  @Test
  void recoveryInterruptsUnfinishedJobsAndCompletesThoseWithAResult() throws Exception {
    JobStore s = JobStore.open(state, NO_RECEIPT, (r, w) -> {});
    JobRecord q = s.create(queued(s), new byte[0]);
    JobRecord run = s.create(queued(s), new byte[0]);
    s.update(run.running(Instant.now()));
    JobRecord ran = s.create(queued(s), new byte[0]);
    s.update(ran.running(Instant.now()));
    WorkerResult wr = new WorkerResult(new ExecutionOutcome.Completed(7, new Usage(Duration.ofNanos(1000), 1,
        OptionalLong.empty(), 2, 0)), Instant.now(), Instant.now(), null);
    AtomicFiles.write(s.dir(ran.id()).resolve(JobStore.RESULT), wr.toJson());
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
    // Recovery is written back: a third open changes nothing.
    List<String> third = new ArrayList<>();
    JobStore.open(state, NO_RECEIPT, (x, w) -> third.add(w));
    assertTrue(third.isEmpty(), third::toString);
    assertTrue(again.whenDone(q.id()).isDone());
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
    assertEquals(List.of(ids.get(4), ids.get(3)), first.stream().map(e -> e.record().id()).toList());
    List<JobStore.Entry> next = s.list(2, first.get(1).record().id(), null);
    assertEquals(List.of(ids.get(2), ids.get(1)), next.stream().map(e -> e.record().id()).toList());
    assertEquals(2, next.get(0).argCount());
  }
}
