package dev.plasm.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.daemon.internal.store.AtomicFiles;
import dev.plasm.daemon.internal.store.JobRecord;
import dev.plasm.daemon.internal.store.JobStore;
import dev.plasm.daemon.internal.store.Json;
import dev.plasm.daemon.internal.store.WorkerResult;
import dev.plasm.api.ResourceLimits;
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
    return new JobRecord(s.newId(), JobRecord.QUEUED, Instant.now().toString(), null, null, "a".repeat(64), 10, "x.wasm",
        List.of("a", "b c"), Map.of("K", "V"), 3, JobRecord.Limits.of(ResourceLimits.DEFAULTS), "auto", null, false,
        "key-1", "0".repeat(64), null, null, null, null, false);
  }

  @Test
  void recordsSurviveAReopenAndAreWrittenAtomically() throws Exception {
    JobStore s = JobStore.open(state, (r, w) -> {});
    JobRecord r = s.create(queued(s), new byte[] {1, 2, 3});
    JobRecord done = r.running(Instant.now().toString()).finished(Instant.now().toString(),
        new JobRecord.Outcome("completed", 0, null, null), new JobRecord.UsageRecord(5, 1, null, 0, 0),
        new JobRecord.EngineRef("e", "1"), null, false);
    s.update(done);
    List<String> recovered = new ArrayList<>();
    JobStore again = JobStore.open(state, (x, w) -> recovered.add(w));
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
    JobStore s = JobStore.open(state, (r, w) -> {});
    JobRecord q = s.create(queued(s), new byte[0]);
    JobRecord run = s.create(queued(s), new byte[0]);
    s.update(run.running(Instant.now().toString()));
    JobRecord ran = s.create(queued(s), new byte[0]);
    s.update(ran.running(Instant.now().toString()));
    WorkerResult wr = new WorkerResult(new JobRecord.Outcome("completed", 7, null, null),
        new JobRecord.UsageRecord(1, 1, null, 2, 0), new JobRecord.EngineRef("e", "1"), "t0", "t1", null);
    AtomicFiles.write(s.dir(ran.id()).resolve(JobStore.RESULT), Json.MAPPER.writeValueAsBytes(wr));
    // A directory without a record is a submission that was never accepted: ignored.
    Files.createDirectories(state.resolve("jobs").resolve(s.newId()));

    List<String> recovered = new ArrayList<>();
    JobStore again = JobStore.open(state, (x, w) -> recovered.add(x.id() + " " + w));
    assertEquals(3, recovered.size(), recovered::toString);
    JobRecord q2 = again.get(q.id());
    assertEquals(JobRecord.INTERRUPTED, q2.state());
    assertTrue(q2.reason().contains("never ran"), q2.reason());
    JobRecord run2 = again.get(run.id());
    assertEquals(JobRecord.INTERRUPTED, run2.state());
    assertTrue(run2.reason().contains("was running"), run2.reason());
    JobRecord ran2 = again.get(ran.id());
    assertEquals(JobRecord.FINISHED, ran2.state());
    assertEquals(7, ran2.outcome().exitCode());
    // Recovery is written back: a third open changes nothing.
    List<String> third = new ArrayList<>();
    JobStore.open(state, (x, w) -> third.add(w));
    assertTrue(third.isEmpty(), third::toString);
    assertTrue(again.whenDone(q.id()).isDone());
  }

  @Test
  void listingIsNewestFirstAndPaged() throws Exception {
    JobStore s = JobStore.open(state, (r, w) -> {});
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 5; i++) {
      ids.add(s.create(queued(s), new byte[0]).id());
      Thread.sleep(2);
    }
    List<JobRecord> first = s.list(2, null, null);
    assertEquals(List.of(ids.get(4), ids.get(3)), first.stream().map(JobRecord::id).toList());
    List<JobRecord> next = s.list(2, first.get(1).id(), null);
    assertEquals(List.of(ids.get(2), ids.get(1)), next.stream().map(JobRecord::id).toList());
  }
}
