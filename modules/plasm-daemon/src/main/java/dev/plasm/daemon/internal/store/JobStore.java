package dev.plasm.daemon.internal.store;

import java.io.IOException;
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
 * the worker's {@code result.json} beside it. All records are also kept in memory.
 *
 * <p>{@link #open} recovers after a crash or restart: a job that was queued is marked interrupted
 * (it never ran); a running job whose worker had written its result is completed from it; any other
 * running job is marked interrupted (it may have partly run, and is never re-run silently).
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

  private final Path dir;
  private final Map<String, JobRecord> jobs = new ConcurrentHashMap<>();
  private final Map<String, String> byIdempotencyKey = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<JobRecord>> done = new ConcurrentHashMap<>();

  private JobStore(Path dir) {
    this.dir = dir;
  }

  /**
   * Opens (creating) the store under {@code stateDir/jobs} and recovers unfinished jobs.
   *
   * @param recovered told of every job whose state recovery changed, with what it did
   */
  public static JobStore open(Path stateDir, BiConsumer<JobRecord, String> recovered) throws IOException {
    JobStore s = new JobStore(AtomicFiles.privateDir(stateDir.resolve("jobs")));
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(s.dir)) {
      for (Path p : ds) {
        String id = p.getFileName().toString();
        Path rec = p.resolve(RECORD);
        if (!ID.matcher(id).matches() || !Files.isRegularFile(rec)) {
          continue; // A job directory whose record was never written: the submission was not accepted.
        }
        JobRecord r = Json.MAPPER.readValue(Files.readAllBytes(rec), JobRecord.class);
        String now = Instant.now().toString();
        if (r.state().equals(JobRecord.QUEUED)) {
          r = r.ended(JobRecord.INTERRUPTED, now, "the daemon stopped before the job started; it never ran, submit it again");
          s.write(r);
          recovered.accept(r, "interrupted (never started)");
        } else if (r.state().equals(JobRecord.RUNNING)) {
          Path result = p.resolve(RESULT);
          WorkerResult wr = Files.isRegularFile(result) ? readResult(result) : null;
          if (wr != null) {
            r = r.finished(wr.finishedAt(), wr.outcome(), wr.usage(), wr.engine(), null, Files.isRegularFile(p.resolve(RECEIPT)));
            recovered.accept(r, "completed from the worker's result");
          } else {
            r = r.ended(JobRecord.INTERRUPTED, now,
                "the daemon stopped while the job was running; it may have partly run and was not run again");
            recovered.accept(r, "interrupted (was running)");
          }
          s.write(r);
        }
        s.index(r);
      }
    }
    return s;
  }

  private static WorkerResult readResult(Path file) {
    try {
      return Json.MAPPER.readValue(Files.readAllBytes(file), WorkerResult.class);
    } catch (IOException | RuntimeException e) {
      return null;
    }
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
    return id == null ? null : jobs.get(id);
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
    AtomicFiles.write(dir(r.id()).resolve(RECORD), Json.LINE.writeValueAsBytes(r), false);
    index(r);
  }

  private void write(JobRecord r) throws IOException {
    AtomicFiles.write(dir(r.id()).resolve(RECORD), Json.LINE.writeValueAsBytes(r));
  }

  private void index(JobRecord r) {
    jobs.put(r.id(), r);
    if (r.idempotencyKey() != null) {
      byIdempotencyKey.putIfAbsent(r.idempotencyKey(), r.id());
    }
    if (r.terminal()) {
      future(r.id()).complete(r);
    }
  }

  public JobRecord get(String id) {
    return jobs.get(id);
  }

  /** Completes when the job reaches a final state. */
  public CompletableFuture<JobRecord> whenDone(String id) {
    return future(id);
  }

  private CompletableFuture<JobRecord> future(String id) {
    return done.computeIfAbsent(id, k -> new CompletableFuture<>());
  }

  /**
   * Up to {@code limit} jobs, newest first, older than the job {@code before} when it is given.
   */
  public List<JobRecord> list(int limit, String before, String state) {
    List<JobRecord> all = new ArrayList<>(jobs.values());
    all.sort(Comparator.comparing(JobRecord::id).reversed());
    List<JobRecord> out = new ArrayList<>();
    for (JobRecord r : all) {
      if (before != null && r.id().compareTo(before) >= 0) {
        continue;
      }
      if (state != null && !r.state().equals(state)) {
        continue;
      }
      out.add(r);
      if (out.size() == limit) {
        break;
      }
    }
    return out;
  }

  public List<JobRecord> all() {
    return List.copyOf(jobs.values());
  }
}
