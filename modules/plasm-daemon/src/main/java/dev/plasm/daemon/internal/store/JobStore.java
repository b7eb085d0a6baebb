package dev.plasm.daemon.internal.store;

import dev.plasm.api.JobState;
import dev.plasm.job.JobPlan;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BiConsumer;
import java.util.regex.Pattern;

/**
 * The jobs of a node: their records and their parts (stdin, stdout, stderr, receipt) in one
 * append-only {@link Journal} under {@code STATE/journal}, written with group commit. A job's life is
 * three small appends (queued, running, ended), each durable before anyone relies on it, and its
 * parts travel in the same appends: no directory, no file, no rename per job. Output that a worker
 * had to spill while the job ran (large, or from a job that ran long enough to be followed) stays in
 * {@code STATE/outputs/ID.stdout} and {@code .stderr}.
 *
 * <p>State directories written before the journal ({@code jobs/ID/job.json} with the parts as files
 * beside it) are read as they are: those jobs keep their files, and any change to them (recovery)
 * is appended to the journal, which wins over their {@code job.json}. Jobs sent to other nodes are
 * journaled like any other (their stdin with the queued entry, the chosen executor's output and
 * receipt with the end); those sent by an older daemon keep the {@code jobs/ID} directory it made.
 *
 * <p>Memory stays bounded by the jobs in flight and those kept after they ended, not by the jobs ever
 * run: queued and running jobs are held whole, ended ones without their arguments and environment
 * (read back from the journal when someone asks for one job), with the positions of their parts.
 * {@link #expire} forgets ended jobs past the node's retention (a forget entry in the journal) and
 * deletes the journal segments that no job still held needs, so disk is bounded the same way.
 *
 * <p>{@link #open} recovers after a crash or restart: a job that was queued is marked interrupted (it
 * never ran); a running job of the old layout whose worker had written its {@code result.json} is
 * completed from it; any other running job is handed to {@code recovery} to be ended (interrupted,
 * with a receipt), never re-run.
 */
public final class JobStore {
  /** Job ids: 12 hex digits of milliseconds since the epoch, a dash, 16 random hex digits. */
  public static final Pattern ID = Pattern.compile("[0-9a-f]{12}-[0-9a-f]{16}");

  /** File names in a job's directory (the layouts before the journal). */
  public static final String RECORD = "job.json";

  public static final String STDIN = "stdin";
  public static final String STDOUT = "stdout";
  public static final String STDERR = "stderr";
  public static final String RECEIPT = "receipt.json";
  public static final String RESULT = "result.json";

  /** A part of a job kept with it. */
  public enum Part {
    STDIN(JobStore.STDIN),
    STDOUT(JobStore.STDOUT),
    STDERR(JobStore.STDERR),
    RECEIPT(JobStore.RECEIPT);

    /** Its file name in a job directory. */
    public final String fileName;

    Part(String fileName) {
      this.fileName = fileName;
    }
  }

  /** Entry kinds in the journal (the first byte of an entry's meta part). */
  private static final byte JOB = 1;

  /** Jobs forgotten by retention: their ids, newline-separated, after the kind byte. */
  private static final byte FORGET = 2;

  /** Most ids in one forget entry (a pass that forgets more writes several). */
  private static final int FORGET_BATCH = 4096;

  private static final SecureRandom RANDOM = new SecureRandom();

  /** A job as held in memory, and how many arguments it had before they were dropped. */
  public record Entry(JobRecord record, int argCount, boolean lean) {}

  /**
   * Where a job and its parts are. Replaced whole on every change.
   *
   * @param recordAt the journal position of the entry with the job's latest record, or -1 (only its
   *     {@code job.json})
   * @param partAt the journal position of each part, or -1
   * @param partLength the length of each part in the journal
   * @param spilled parts in {@code STATE/outputs} (bit per {@link Part#ordinal()})
   * @param dir whether the job has a directory of files ({@code jobs/ID})
   */
  private record Slot(
      Entry entry, long recordAt, long[] partAt, int[] partLength, int spilled, boolean dir) {
    static Slot of(Entry e, boolean dir) {
      long[] at = new long[Part.values().length];
      Arrays.fill(at, -1);
      return new Slot(e, -1, at, new int[at.length], 0, dir);
    }
  }

  /** A job's parts as it ends: bytes to keep with it, or null for none (or for one spilled to a file). */
  public record Parts(
      byte[] stdout, byte[] stderr, byte[] receipt, boolean stdoutSpilled, boolean stderrSpilled) {
    public static final Parts NONE = new Parts(null, null, null, false, false);

    public Parts withReceipt(byte[] r) {
      return new Parts(stdout, stderr, r, stdoutSpilled, stderrSpilled);
    }
  }

  /** What {@link Recovery} decided for a job that was running: its ended record and the receipt signed for it. */
  public record Ended(JobRecord record, byte[] receipt) {}

  /** What {@link #open} hands over: a running job its worker did not finish, to be ended by the caller. */
  public interface Recovery {
    /** Ends {@code r} (which was running when the daemon stopped); its parts are readable in {@code store}. */
    Ended interrupted(JobRecord r, JobStore store);
  }

  private final Path jobsDir;
  private final Path outputsDir;
  private Journal journal;
  private final Map<String, Slot> jobs = new ConcurrentHashMap<>();
  private final Map<String, String> byIdempotencyKey = new ConcurrentHashMap<>();
  private final Map<String, String> byRequester = new ConcurrentHashMap<>();
  private final Map<String, CompletableFuture<JobRecord>> done = new ConcurrentHashMap<>();

  private JobStore(Path jobsDir, Path outputsDir) {
    this.jobsDir = jobsDir;
    this.outputsDir = outputsDir;
  }

  /**
   * Opens (creating) the store under {@code stateDir} and recovers unfinished jobs.
   *
   * @param recovered told of every job whose state recovery changed, with what it did
   */
  public static JobStore open(
      Path stateDir, Recovery recovery, BiConsumer<JobRecord, String> recovered)
      throws IOException {
    return open(stateDir, recovery, recovered, Journal.SEGMENT_BYTES);
  }

  /** As {@link #open(Path, Recovery, BiConsumer)}, with journal segments of {@code segmentBytes}. */
  public static JobStore open(
      Path stateDir, Recovery recovery, BiConsumer<JobRecord, String> recovered, long segmentBytes)
      throws IOException {
    JobStore s =
        new JobStore(stateDir.resolve("jobs"), AtomicFiles.privateDir(stateDir.resolve("outputs")));
    s.readJobDirectories();
    s.journal = Journal.open(stateDir.resolve("journal"), s::replay, segmentBytes);
    s.removeOrphans();
    for (Slot slot : List.copyOf(s.jobs.values())) {
      JobRecord r = slot.entry().record();
      if (r.terminal()) {
        continue;
      }
      Instant now = Instant.now();
      if (r.state() == JobState.QUEUED) {
        r =
            r.endedUnrun(
                JobState.INTERRUPTED,
                now,
                "the daemon stopped before the job started; it never ran, submit it again");
        s.update(r);
        recovered.accept(r, "interrupted (never started)");
      } else if (r.dispatch() != null) {
        // Out on other nodes: they keep running it; the remote side asks them for it again.
        recovered.accept(r, "to be reattached to its executors");
      } else {
        WorkerResult wr =
            slot.dir() ? WorkerResult.readIfThere(s.dir(r.id()).resolve(RESULT)) : null;
        if (wr
            != null) { // the layout before the journal: the worker's result on disk completes the
          // job
          r = wr.applyTo(r, Files.isRegularFile(s.dir(r.id()).resolve(RECEIPT)));
          s.update(r);
          recovered.accept(r, "completed from the worker's result");
        } else {
          Ended e = recovery.interrupted(r, s);
          s.end(e.record(), s.spilledParts(r.id()).withReceipt(e.receipt()));
          recovered.accept(e.record(), "interrupted (was running)");
        }
      }
    }
    return s;
  }

  /** The jobs of the layout before the journal: one directory each, its record in {@code job.json}. */
  private void readJobDirectories() throws IOException {
    if (!Files.isDirectory(jobsDir)) {
      return;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(jobsDir)) {
      for (Path p : ds) {
        String id = p.getFileName().toString();
        Path rec = p.resolve(RECORD);
        if (!ID.matcher(id).matches() || !Files.isRegularFile(rec)) {
          continue; // no record: a submission that was never accepted, or a directory for a job in
          // the journal
        }
        JobRecord r = JobRecordJson.read(Files.readAllBytes(rec));
        index(r, old -> Slot.of(entry(r), true));
      }
    }
  }

  /** Applies one journal entry on open: the job's latest record, and where its parts are. */
  private void replay(Journal.Entry e) {
    byte[] meta = e.meta();
    if (meta.length >= 1 && meta[0] == FORGET) {
      String ids = new String(meta, 1, meta.length - 1, java.nio.charset.StandardCharsets.US_ASCII);
      for (String id : ids.split("\n")) {
        unindex(id);
      }
      return;
    }
    if (meta.length < 3 || meta[0] != JOB) {
      throw new IllegalStateException(
          "an unknown entry in the job journal at " + Journal.offsetOf(e.position()));
    }
    Decoded d = decode(meta);
    index(d.record(), old -> merge(old, d.record(), e, d));
  }

  /** The meta part of a job entry: kind, the parts its blobs are, the parts spilled to files, the record's JSON. */
  private static byte[] encode(JobRecord r, List<Part> blobs, int spilled) {
    byte[] json = JobRecordJson.disk(r);
    byte[] meta = new byte[3 + blobs.size() + json.length];
    meta[0] = JOB;
    meta[1] = (byte) blobs.size();
    for (int i = 0; i < blobs.size(); i++) {
      meta[2 + i] = (byte) blobs.get(i).ordinal();
    }
    meta[2 + blobs.size()] = (byte) spilled;
    System.arraycopy(json, 0, meta, 3 + blobs.size(), json.length);
    return meta;
  }

  private record Decoded(JobRecord record, Part[] blobs, int spilled) {}

  private static Decoded decode(byte[] meta) {
    int n = meta[1];
    Part[] parts = new Part[n];
    for (int i = 0; i < n; i++) {
      parts[i] = Part.values()[meta[2 + i]];
    }
    int spilled = meta[2 + n];
    JobRecord r = JobRecordJson.read(Arrays.copyOfRange(meta, 3 + n, meta.length));
    return new Decoded(r, parts, spilled);
  }

  private Slot merge(Slot old, JobRecord r, Journal.Entry e, Decoded d) {
    // A job sent to other nodes by an earlier build kept its parts in a directory; now they are
    // in the journal like any job's.
    Slot base =
        old != null
            ? old
            : Slot.of(null, r.dispatch() != null && Files.isDirectory(jobsDir.resolve(r.id())));
    long[] at = base.partAt().clone();
    int[] len = base.partLength().clone();
    for (int i = 0; i < d.blobs().length; i++) {
      at[d.blobs()[i].ordinal()] = e.blobPositions()[i];
      len[d.blobs()[i].ordinal()] = e.blobLengths()[i];
    }
    return new Slot(entry(r), e.position(), at, len, base.spilled() | d.spilled(), base.dir());
  }

  /** A new, unique, time-ordered job id. */
  public String newId() {
    byte[] r = new byte[8];
    RANDOM.nextBytes(r);
    return String.format("%012x", System.currentTimeMillis()) + "-" + HexFormat.of().formatHex(r);
  }

  /** The job's directory of files (the layouts before the journal). */
  public Path dir(String id) {
    if (!ID.matcher(id).matches()) {
      throw new IllegalArgumentException("not a job id: " + id);
    }
    return jobsDir.resolve(id);
  }

  /** Where a worker spills a running job's stdout or stderr: {@code STATE/outputs/ID.stdout}. */
  public Path spillFile(String id, Part p) {
    if (!ID.matcher(id).matches()) {
      throw new IllegalArgumentException("not a job id: " + id);
    }
    return outputsDir.resolve(id + "." + p.fileName);
  }

  /** Records a new job with its stdin, durably; the job exists once this returns. */
  public JobRecord create(JobRecord r, byte[] stdin) throws IOException {
    return create(r, stdin, false);
  }

  /**
   * Records a new job with its stdin; the job exists once this returns. {@code later}: written but
   * not yet forced to disk, for a job whose submitter is answered only later (a submission that
   * waits for the job's end): the job's next entry, forced before the job runs, takes it to disk,
   * and {@link #awaitDurable} before any answer.
   */
  public JobRecord create(JobRecord r, byte[] stdin, boolean later) throws IOException {
    byte[][] blobs = stdin.length > 0 ? new byte[][] {stdin} : new byte[0][];
    Part[] parts = stdin.length > 0 ? new Part[] {Part.STDIN} : new Part[0];
    byte[] meta = encode(r, List.of(parts), 0);
    Journal.Entry e;
    if (later) {
      try {
        e = journal.appendLazily(meta, blobs).join();
      } catch (java.util.concurrent.CompletionException x) {
        throw x.getCause() instanceof IOException io
            ? new IOException(io.getMessage(), io)
            : new IOException(String.valueOf(x.getCause()), x.getCause());
      }
    } else {
      e = journal.appendAndWait(meta, blobs);
    }
    index(r, old -> merge(old, r, e, new Decoded(r, parts, 0)));
    return r;
  }

  /** Waits until everything recorded of the job so far is on disk (see {@link #create}). */
  public void awaitDurable(String id) throws IOException {
    Slot s = jobs.get(id);
    if (s != null && s.recordAt() >= 0) {
      journal.awaitDurable(s.recordAt());
    }
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

  /** Records a job's new state, durably, and wakes those waiting for it to end. */
  public void update(JobRecord r) throws IOException {
    Slot s = jobs.get(r.id());
    if (s != null && s.dir()) {
      // Whatever was written into the job's directory (a remote result) is durable before the
      // record says so.
      AtomicFiles.syncDir(dir(r.id()));
    }
    append(r);
  }

  /**
   * Replaces a running job's record in memory only: for a detail a crash may lose because it is
   * learnt again (an executor's job id, which the executor repeats when asked after a restart). The
   * job's next durable entry carries it.
   */
  public void note(JobRecord r) {
    if (r.terminal()) {
      throw new IllegalArgumentException("a job's end is recorded durably, not noted: " + r.id());
    }
    jobs.computeIfPresent(
        r.id(),
        (k, old) ->
            old.entry().record().terminal() // ended meanwhile: the end stands
                ? old
                : new Slot(
                    entry(r),
                    old.recordAt(),
                    old.partAt(),
                    old.partLength(),
                    old.spilled(),
                    old.dir()));
  }

  /** Records a job's end with its parts, durably, and wakes those waiting for it. */
  public void end(JobRecord r, Parts parts) throws IOException {
    try {
      endAsync(r, parts).join();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof IOException io) {
        throw new IOException(io.getMessage(), io);
      }
      throw e;
    }
  }

  /**
   * As {@link #end}, without waiting: the job is seen ended (and its waiters woken) once the record is
   * on disk; the future completes then.
   */
  public CompletableFuture<Void> endAsync(JobRecord r, Parts parts) {
    List<Part> blobs = new ArrayList<>(3);
    List<byte[]> bytes = new ArrayList<>(3);
    int spilled = 0;
    if (parts.stdoutSpilled()) {
      spilled |= 1 << Part.STDOUT.ordinal();
    } else if (parts.stdout() != null && parts.stdout().length > 0) {
      blobs.add(Part.STDOUT);
      bytes.add(parts.stdout());
    }
    if (parts.stderrSpilled()) {
      spilled |= 1 << Part.STDERR.ordinal();
    } else if (parts.stderr() != null && parts.stderr().length > 0) {
      blobs.add(Part.STDERR);
      bytes.add(parts.stderr());
    }
    if (parts.receipt() != null) {
      blobs.add(Part.RECEIPT);
      bytes.add(parts.receipt());
    }
    Decoded d = new Decoded(r, blobs.toArray(new Part[0]), spilled);
    return journal
        .append(encode(r, blobs, spilled), bytes.toArray(new byte[0][]))
        .thenAccept(e -> index(r, old -> merge(old, r, e, d)));
  }

  /** Appends a record without parts, durably. */
  private void append(JobRecord r) throws IOException {
    Journal.Entry e = journal.appendAndWait(encode(r, List.of(), 0));
    index(r, old -> merge(old, r, e, new Decoded(r, new Part[0], 0)));
  }

  /** The parts of a running job that its worker spilled to files (what the receipt of an interrupted job states). */
  public Parts spilledParts(String id) {
    return new Parts(
        null,
        null,
        null,
        Files.isRegularFile(spillFile(id, Part.STDOUT)),
        Files.isRegularFile(spillFile(id, Part.STDERR)));
  }

  private static Entry entry(JobRecord r) {
    if (!r.terminal()) {
      return new Entry(r, r.plan().args().size(), false);
    }
    JobPlan p = r.plan();
    JobPlan lean =
        new JobPlan(
            p.moduleSha256(),
            p.moduleBytes(),
            p.programName(),
            List.of(),
            Map.of(),
            p.stdinBytes(),
            p.engine(),
            p.limits(),
            p.deterministic(),
            p.nonce());
    return new Entry(
        new JobRecord(
            r.id(),
            r.state(),
            r.createdAt(),
            r.startedAt(),
            r.finishedAt(),
            lean,
            r.determinism(),
            r.idempotencyKey(),
            r.requestSha256(),
            r.outcome(),
            r.reason(),
            r.receipt(),
            r.dispatch(),
            r.requester()),
        p.args().size(),
        true);
  }

  private void index(JobRecord r, java.util.function.UnaryOperator<Slot> change) {
    jobs.compute(r.id(), (k, old) -> change.apply(old));
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
    Slot s = jobs.get(id);
    if (s == null) {
      return null;
    }
    if (!s.entry().lean()) {
      return s.entry().record();
    }
    try {
      if (s.recordAt() >= 0) {
        return decode(journal.readMeta(s.recordAt())).record();
      }
      return JobRecordJson.read(Files.readAllBytes(dir(id).resolve(RECORD)));
    } catch (IOException ex) {
      throw new UncheckedIOException("cannot read the record of job " + id, ex);
    }
  }

  /** The job's state, from memory; null when there is no such job. */
  public JobState state(String id) {
    Slot s = jobs.get(id);
    return s == null ? null : s.entry().record().state();
  }

  /**
   * Where a part of a job is now: a region of the journal, the file a worker spilled it to, or the
   * file in the job's directory; null when the job has none (an output not written yet, no stdin).
   */
  public Journal.Region part(String id, Part p) throws IOException {
    Slot s = jobs.get(id);
    if (s == null) {
      return null;
    }
    long at = s.partAt()[p.ordinal()];
    if (at >= 0) {
      return journal.region(at, s.partLength()[p.ordinal()]);
    }
    if (p == Part.STDOUT || p == Part.STDERR) {
      boolean spilled = (s.spilled() & 1 << p.ordinal()) != 0;
      if (spilled || !s.entry().record().terminal()) {
        Path f = spillFile(id, p);
        try {
          return new Journal.Region(f, 0, Files.size(f));
        } catch (NoSuchFileException e) {
          if (!s.dir()) {
            return null;
          }
        }
      }
    }
    if (s.dir()) {
      Path f = dir(id).resolve(p.fileName);
      try {
        return new Journal.Region(f, 0, Files.size(f));
      } catch (NoSuchFileException e) {
        return null;
      }
    }
    return null;
  }

  /** A part's bytes (empty when the job has none). */
  public byte[] read(String id, Part p) throws IOException {
    Journal.Region r = part(id, p);
    if (r == null || r.length() == 0) {
      return new byte[0];
    }
    if (r.length() > Integer.MAX_VALUE - 16) {
      throw new IOException("part " + p + " of job " + id + " is too large to read whole");
    }
    try (FileChannel ch = FileChannel.open(r.file(), StandardOpenOption.READ)) {
      ByteBuffer b = ByteBuffer.allocate((int) r.length());
      long pos = r.offset();
      while (b.hasRemaining()) {
        int n = ch.read(b, pos);
        if (n < 0) {
          break; // a file that shrank: what is there
        }
        pos += n;
      }
      return b.position() == b.capacity() ? b.array() : Arrays.copyOf(b.array(), b.position());
    }
  }

  /** The SHA-256 (hex) and length of a part, streamed (outputs may be large). */
  public DigestOf digest(String id, Part p) throws IOException {
    MessageDigest md = ModuleStore.sha256();
    Journal.Region r = part(id, p);
    long n = 0;
    if (r != null && r.length() > 0) {
      try (FileChannel ch = FileChannel.open(r.file(), StandardOpenOption.READ);
          InputStream in = java.nio.channels.Channels.newInputStream(ch.position(r.offset()))) {
        byte[] buf = new byte[65536];
        long left = r.length();
        int k;
        while (left > 0 && (k = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0) {
          md.update(buf, 0, k);
          n += k;
          left -= k;
        }
      }
    }
    return new DigestOf(HexFormat.of().formatHex(md.digest()), n);
  }

  /** A digest of a part. */
  public record DigestOf(String sha256, long bytes) {}

  /** Completes when the job reaches a final state (at once for an ended one). */
  public CompletableFuture<JobRecord> whenDone(String id) {
    Slot s = jobs.get(id);
    if (s != null && s.entry().record().terminal()) {
      return CompletableFuture.completedFuture(get(id));
    }
    CompletableFuture<JobRecord> f = done.computeIfAbsent(id, k -> new CompletableFuture<>());
    // It may have ended between the two looks.
    Slot again = jobs.get(id);
    if (again != null && again.entry().record().terminal() && done.remove(id, f)) {
      f.complete(get(id));
    }
    return f;
  }

  /**
   * Up to {@code limit} jobs as held in memory (ended ones without arguments or environment; see
   * {@link Entry#argCount()}), newest first, older than the job {@code before} when it is given.
   */
  public List<Entry> list(int limit, String before, JobState state) {
    List<Entry> all = new ArrayList<>(jobs.size());
    for (Slot s : jobs.values()) {
      all.add(s.entry());
    }
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
    return jobs.values().stream()
        .map(Slot::entry)
        .filter(e -> !e.record().terminal())
        .map(Entry::record)
        .toList();
  }

  /** What one pass of {@link #expire} did. */
  public record Expired(int jobs, long bytesFreed) {}

  /**
   * Forgets ended jobs that ended more than {@code retention} before {@code now}, and the oldest
   * ended ones beyond {@code maxRetained}: their records, parts and files go, durably (a forget entry
   * in the journal, so that a restart does not bring them back), and so do the journal's segments
   * that no job still held needs. Jobs not ended are never forgotten.
   */
  public synchronized Expired expire(Instant now, java.time.Duration retention, int maxRetained)
      throws IOException {
    record Ended(String id, Instant at) {}
    List<Ended> ended = new ArrayList<>();
    for (Slot s : jobs.values()) {
      JobRecord r = s.entry().record();
      if (r.terminal()) {
        ended.add(new Ended(r.id(), r.finishedAt() != null ? r.finishedAt() : r.createdAt()));
      }
    }
    ended.sort(Comparator.comparing(Ended::at).thenComparing(Ended::id));
    Instant cutoff = now.minus(retention);
    int over = Math.max(0, ended.size() - maxRetained);
    List<String> doomed = new ArrayList<>();
    for (int i = 0; i < ended.size(); i++) {
      if (i < over || ended.get(i).at().isBefore(cutoff)) {
        doomed.add(ended.get(i).id());
      } else {
        break; // sorted by end: the rest are younger and within the count
      }
    }
    for (int i = 0; i < doomed.size(); i += FORGET_BATCH) {
      List<String> batch = doomed.subList(i, Math.min(doomed.size(), i + FORGET_BATCH));
      byte[] ids = String.join("\n", batch).getBytes(java.nio.charset.StandardCharsets.US_ASCII);
      byte[] meta = new byte[1 + ids.length];
      meta[0] = FORGET;
      System.arraycopy(ids, 0, meta, 1, ids.length);
      journal.appendAndWait(meta);
      for (String id : batch) {
        Slot s = unindex(id);
        deleteFiles(id, s);
      }
    }
    return new Expired(doomed.size(), journal.dropSegmentsBefore(firstSegmentInUse()));
  }

  /** Drops a job from memory; returns what was held for it, or null. */
  private Slot unindex(String id) {
    Slot s = jobs.remove(id);
    if (s != null) {
      JobRecord r = s.entry().record();
      if (r.idempotencyKey() != null) {
        byIdempotencyKey.remove(r.idempotencyKey(), id);
      }
      if (r.requester() != null) {
        byRequester.remove(r.requester().peerId() + "/" + r.requester().jobId(), id);
      }
    }
    return s;
  }

  /** Deletes a forgotten job's spilled outputs and its directory, if it had them. */
  private void deleteFiles(String id, Slot s) throws IOException {
    Files.deleteIfExists(spillFile(id, Part.STDOUT));
    Files.deleteIfExists(spillFile(id, Part.STDERR));
    if (s != null && s.dir()) {
      deleteTree(dir(id));
    }
  }

  private static void deleteTree(Path d) throws IOException {
    if (!Files.isDirectory(d, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      Files.deleteIfExists(d);
      return;
    }
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(d)) {
      for (Path p : ds) {
        deleteTree(p);
      }
    }
    Files.deleteIfExists(d);
  }

  /** The lowest journal segment that a job held still has its record or a part in. */
  private long firstSegmentInUse() {
    long first = journal.currentSegment();
    for (Slot s : jobs.values()) {
      if (s.recordAt() >= 0) {
        first = Math.min(first, Journal.segmentOf(s.recordAt()));
      }
      for (long at : s.partAt()) {
        if (at >= 0) {
          first = Math.min(first, Journal.segmentOf(at));
        }
      }
    }
    return first;
  }

  /**
   * Removes what a crash between a forget entry and the deletion of its files left behind: spilled
   * outputs and job directories of jobs this store does not hold. Only while nothing is submitted
   * (on open): a submission's directory exists briefly before its record.
   */
  private void removeOrphans() throws IOException {
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(outputsDir)) {
      for (Path p : ds) {
        String name = p.getFileName().toString();
        int dot = name.indexOf('.');
        String id = dot < 0 ? name : name.substring(0, dot);
        if (ID.matcher(id).matches() && !jobs.containsKey(id)) {
          Files.deleteIfExists(p);
        }
      }
    }
    if (Files.isDirectory(jobsDir)) {
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(jobsDir)) {
        for (Path p : ds) {
          String id = p.getFileName().toString();
          if (ID.matcher(id).matches() && !jobs.containsKey(id)) {
            deleteTree(p);
          }
        }
      }
    }
  }

  /** Jobs held (in memory, each with its record), ended or not. */
  public int size() {
    return jobs.size();
  }

  /** The journal's forced writes and entries, for {@code /metrics}. */
  public long journalSyncs() {
    return journal.syncs();
  }

  public long journalEntries() {
    return journal.entries();
  }

  /** Stops writing (after what was appended); the daemon's last step. */
  public void close() {
    journal.close();
  }
}
