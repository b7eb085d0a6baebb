package dev.plasm.daemon.internal.store;

import dev.plasm.job.JobPlan;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/**
 * Job records on disk: {@code jobs/ID/job.json} (written atomically on every change), with the
 * job's {@code stdin} (when it has one), {@code stdout}, {@code stderr}, {@code receipt.json} and
 * the worker's {@code result.json} beside it.
 *
 * <p>Memory stays bounded by the jobs in flight, not by the jobs ever run: queued and running jobs
 * are held whole, ended ones without their arguments and environment (read back from disk when
 * someone asks for one job), so that a node that ran a million jobs with large arguments holds a
 * million small summaries.
 *
 * <p>{@link #open} recovers after a crash or restart: a job that was queued is marked interrupted
 * (it never ran); a running job whose worker had written its result is completed from it; any other
 * running job is handed to {@code recover} to be ended (interrupted, with a receipt), never re-run.
 */
public final class JobStore {
  /** Job ids: 12 hex digits of milliseconds since the epoch, a dash, 16 random hex digits. */
  public static final Pattern ID = Pattern.compile("[0-9a-f]{12}-[0-9a-f]{16}");

  public static final String RECORD = "job.json";
  public static final String STDIN = "stdin";
  public static final String STDOUT = "stdout";
  public static final String STDERR = "stderr";
  public static final String RECEIPT = "receipt.json";
  public static final String RESULT = "result.json";

  private static final SecureRandom RANDOM = new SecureRandom();

  /** A job as held in memory, and how many arguments it had before they were dropped. */
  public record Entry(JobRecord record, int argCount, boolean lean) {}

  private final Path dir;
  private final Map<String, Entry> jobs = new ConcurrentHashMap<>();
  private final Map<String, String> byIdempotencyKey = new ConcurrentHashMap<>();
  private final Map<String, String> byRequester = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<JobRecord>> done = new ConcurrentHashMap<>();

  private JobStore(Path dir) {
    this.dir = dir;
  }

  /** What {@link #open} hands over: a running job its worker did not finish, to be ended by the caller. */
  public interface Recovery {
    /** Ends {@code r} (which was running when the daemon stopped) and returns the ended record. */
    JobRecord interrupted(JobRecord r, Path jobDir);
  }

  /**
   * Opens (creating) the store under {@code stateDir/jobs} and recovers unfinished jobs.
   *
   * @param recovered told of every job whose state recovery changed, with what it did
   */
  public static JobStore open(Path stateDir, Recovery recovery, BiConsumer<JobRecord, String> recovered) throws IOException {
    JobStore s = new JobStore(AtomicFiles.privateDir(stateDir.resolve("jobs")));
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(s.dir)) {
      for (Path p : ds) {
        String id = p.getFileName().toString();
        Path rec = p.resolve(RECORD);
        if (!ID.matcher(id).matches() || !Files.isRegularFile(rec)) {
          continue; // A job directory whose record was never written: the submission was not accepted.
        }
        JobRecord r = JobRecordJson.read(Files.readAllBytes(rec));
        Instant now = Instant.now();
        if (r.state() == JobState.QUEUED) {
          r = r.endedUnrun(JobState.INTERRUPTED, now, "the daemon stopped before the job started; it never ran, submit it again");
          s.write(r);
          recovered.accept(r, "interrupted (never started)");
        } else if (r.state() == JobState.RUNNING && r.dispatch() != null) {
          // Out on other nodes: they keep running it; the remote side asks them for it again.
          recovered.accept(r, "to be reattached to its executors");
        } else if (r.state() == JobState.RUNNING) {
          WorkerResult wr = WorkerResult.readIfThere(p.resolve(RESULT));
          if (wr != null) {
            r = wr.applyTo(r, Files.isRegularFile(p.resolve(RECEIPT)));
            recovered.accept(r, "completed from the worker's result");
          } else {
            r = recovery.interrupted(r, p);
            recovered.accept(r, "interrupted (was running)");
          }
          s.write(r);
        }
        s.index(r);
      }
    }
    return s;
  }

  /** A new, unique, time-ordered job id. */
  public String newId() {
    byte[] r = new byte[8];
    RANDOM.nextBytes(r);
    return String.format("%012x", System.currentTimeMillis()) + "-" + HexFormat.of().formatHex(r);
  }

  public Path dir(String id) {
    if (!ID.matcher(id).matches()) {
      throw new IllegalArgumentException("not a job id: " + id);
    }
    return dir.resolve(id);
  }

  /**
   * Records a new job with its stdin (no file when it is empty). The record is written last: a job
   * exists once its record is on disk.
   */
  public JobRecord create(JobRecord r, byte[] stdin) throws IOException {
    Path d = AtomicFiles.newPrivateDir(dir(r.id()));
    if (stdin.length > 0) {
      AtomicFiles.write(d.resolve(STDIN), stdin, false); // the record's write below forces the directory
    }
    write(r);
    index(r);
    return r;
  }

  /** The job with this idempotency key, if any. */
  public JobRecord byIdempotencyKey(String key) {
    String id = byIdempotencyKey.get(key);
    return id == null ? null : get(id);
  }

  /** The job another node sent here with its id there, if any. */
  public JobRecord byRequester(String peerId, String jobId) {
    String id = byRequester.get(peerId + "/" + jobId);
    return id == null ? null : get(id);
  }

  /** Replaces a job's record (atomically and durably on disk) and wakes those waiting for it to end. */
  public void update(JobRecord r) throws IOException {
    write(r);
    index(r);
  }

  /**
   * Records a job's end that its worker's durable {@code result.json} already holds. The rename is
   * not forced: after a crash recovery finds the record still {@code running} beside that result
   * and completes it the same way.
   */
  public void finish(JobRecord r) throws IOException {
    AtomicFiles.write(dir(r.id()).resolve(RECORD), JobRecordJson.disk(r), false);
    index(r);
  }

  private void write(JobRecord r) throws IOException {
    AtomicFiles.write(dir(r.id()).resolve(RECORD), JobRecordJson.disk(r));
  }

  private void index(JobRecord r) {
    if (r.terminal()) {
      JobPlan p = r.plan();
      JobPlan lean = new JobPlan(p.moduleSha256(), p.moduleBytes(), p.programName(), List.of(), Map.of(), p.stdinBytes(),
          p.engine(), p.limits(), p.deterministic(), p.nonce());
      jobs.put(r.id(), new Entry(new JobRecord(r.id(), r.state(), r.createdAt(), r.startedAt(), r.finishedAt(), lean,
          r.determinism(), r.idempotencyKey(), r.requestSha256(), r.outcome(), r.reason(), r.receipt(), r.dispatch(),
          r.requester()), p.args().size(), true));
    } else {
      jobs.put(r.id(), new Entry(r, r.plan().args().size(), false));
    }
    if (r.idempotencyKey() != null) {
      byIdempotencyKey.putIfAbsent(r.idempotencyKey(), r.id());
    }
    if (r.requester() != null) {
      byRequester.putIfAbsent(r.requester().peerId() + "/" + r.requester().jobId(), r.id());
    }
    if (r.terminal()) {
      CompletableFuture<JobRecord> f = done.remove(r.id());
      if (f != null) {
        f.complete(r);
      }
    }
  }

  /** The job, whole (for an ended job, read back from disk), or null when there is none. */
  public JobRecord get(String id) {
    Entry e = jobs.get(id);
    if (e == null) {
      return null;
    }
    if (!e.lean()) {
      return e.record();
    }
    try {
      return JobRecordJson.read(Files.readAllBytes(dir(id).resolve(RECORD)));
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot read the record of job " + id, ex);
    }
  }

  /** The job's state, from memory; null when there is no such job. */
  public JobState state(String id) {
    Entry e = jobs.get(id);
    return e == null ? null : e.record().state();
  }

  /** Completes when the job reaches a final state (at once for an ended one). */
  public CompletableFuture<JobRecord> whenDone(String id) {
    Entry e = jobs.get(id);
    if (e != null && e.record().terminal()) {
      return CompletableFuture.completedFuture(get(id));
    }
    CompletableFuture<JobRecord> f = done.computeIfAbsent(id, k -> new CompletableFuture<>());
    // It may have ended between the two looks.
    Entry again = jobs.get(id);
    if (again != null && again.record().terminal() && done.remove(id, f)) {
      f.complete(get(id));
    }
    return f;
  }

  /**
   * Up to {@code limit} jobs as held in memory (ended ones without arguments or environment; see
   * {@link Entry#argCount()}), newest first, older than the job {@code before} when it is given.
   */
  public List<Entry> list(int limit, String before, JobState state) {
    List<Entry> all = new ArrayList<>(jobs.values());
    all.sort(Comparator.comparing((Entry e) -> e.record().id()).reversed());
    List<Entry> out = new ArrayList<>();
    for (Entry e : all) {
      JobRecord r = e.record();
      if (before != null && r.id().compareTo(before) >= 0) {
        continue;
      }
      if (state != null && r.state() != state) {
        continue;
      }
      out.add(e);
      if (out.size() == limit) {
        break;
      }
    }
    return out;
  }

  /** The jobs that have not ended, whole. */
  public List<JobRecord> unfinished() {
    return jobs.values().stream().filter(e -> !e.record().terminal()).map(Entry::record).toList();
  }
}
