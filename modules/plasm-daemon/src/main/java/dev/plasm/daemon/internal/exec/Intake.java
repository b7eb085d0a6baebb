package dev.plasm.daemon.internal.exec;

import dev.plasm.api.ConfigurationException;
import dev.plasm.api.Limit;
import dev.plasm.api.LimitValueException;
import dev.plasm.daemon.internal.log.Log;
import dev.plasm.daemon.internal.store.JobRecord;
import dev.plasm.daemon.internal.store.JobStore;
import dev.plasm.daemon.internal.store.ModuleStore;
import dev.plasm.engine.spi.Determinism;
import dev.plasm.host.Admission;
import dev.plasm.job.JobJson;
import dev.plasm.job.JobManifest;
import dev.plasm.job.JobManifest.ModuleSource;
import dev.plasm.job.JobManifest.StdinSource;
import dev.plasm.job.JobPlan;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.HexFormat;
import tools.jackson.databind.node.ObjectNode;

/**
 * Takes a job onto this node: admits it ({@link Admission}: limits within the node's, engine chosen),
 * honours idempotency (a key from an HTTP client, or the requesting peer's job id), reserves a place in
 * the queue, and makes the record durable before the job is queued. {@code POST /v1/jobs} and the
 * peer-to-peer job protocol both come through here; each turns a {@link Refusal} into its own answer.
 */
public final class Intake {
  private static final SecureRandom RANDOM = new SecureRandom();

  /** Why a job was not taken, in terms each edge maps to its own answer. */
  public static final class Refusal extends RuntimeException {
    /** The kinds of refusal. */
    public enum Kind {
      /** A value the node will not run: the field says which. */
      INVALID,
      /** The queue is full; try later. */
      BUSY,
      /** The idempotency key was used for another request. */
      CONFLICT
    }

    private final Kind kind;
    private final String field;

    Refusal(Kind kind, String field, String message) {
      super(message, null, false, false);
      this.kind = kind;
      this.field = field;
    }

    public Kind kind() {
      return kind;
    }

    /** The manifest field at fault, or null. */
    public String field() {
      return field;
    }
  }

  /** The job as taken; {@code existing} when an idempotency key (or the requester's id) found an earlier one. */
  public record Accepted(JobRecord record, boolean existing) {}

  private final JobStore store;
  private final JobRunner runner;
  private final Metrics metrics;
  private final Admission admission;
  private final Log log;
  private final int queueCapacity;
  private final Object[] idempotencyLocks = new Object[64];

  public Intake(
      JobStore store,
      JobRunner runner,
      Metrics metrics,
      Admission admission,
      Log log,
      int queueCapacity) {
    this.store = store;
    this.runner = runner;
    this.metrics = metrics;
    this.admission = admission;
    this.log = log;
    this.queueCapacity = queueCapacity;
    for (int i = 0; i < idempotencyLocks.length; i++) {
      idempotencyLocks[i] = new Object();
    }
  }

  public Admission admission() {
    return admission;
  }

  /**
   * Admits and queues a job whose module this node has.
   *
   * @param m the manifest, its module by hash
   * @param moduleBytes the module's size
   * @param stdin the guest's stdin
   * @param requester the peer that sent the job and its id there, or null for a local client
   * @param world the recorded world a deterministic job must run in (a requester that runs it on
   *     several nodes sends one), or null to choose one here
   * @throws Refusal when the job is not taken
   */
  public Accepted accept(
      JobManifest m,
      long moduleBytes,
      byte[] stdin,
      JobRecord.Requester requester,
      Determinism world)
      throws IOException {
    return accept(m, moduleBytes, stdin, requester, world, false);
  }

  /**
   * As {@link #accept(JobManifest, long, byte[], JobRecord.Requester, Determinism)}; {@code
   * answerLater}: the submitter is answered only when the job ends or a wait runs out, so the
   * queued record is written without its own forced write (JobStore#create), and the caller calls
   * {@link JobStore#awaitDurable} before it answers.
   */
  public Accepted accept(
      JobManifest m,
      long moduleBytes,
      byte[] stdin,
      JobRecord.Requester requester,
      Determinism world,
      boolean answerLater)
      throws IOException {
    if (world != null && !m.deterministic()) {
      throw new Refusal(
          Refusal.Kind.INVALID, "determinism", "a recorded world is for deterministic jobs only");
    }
    String sha = ((ModuleSource.ByHash) m.module()).sha256();
    JobPlan plan;
    try {
      plan =
          admission.admit(
              m,
              new Admission.ModuleInfo(sha, moduleBytes),
              sha.substring(0, 12) + ".wasm",
              stdin.length);
    } catch (LimitValueException e) {
      throw new Refusal(Refusal.Kind.INVALID, e.field(), e.messageFor(e.field()));
    } catch (ConfigurationException e) {
      throw new Refusal(Refusal.Kind.INVALID, e.field(), e.field() + ": " + e.getMessage());
    }
    if (moduleBytes > plan.limits().maxModuleBytes()) {
      throw new Refusal(
          Refusal.Kind.INVALID,
          "limits.maxModuleBytes",
          Limit.MODULE_SIZE.over("the module", moduleBytes, plan.limits().maxModuleBytes())
              + " (the job's limits.maxModuleBytes)");
    }
    Determinism w = !plan.deterministic() ? null : world != null ? world : newDeterminism();
    Accepted a =
        record(
            m,
            sha,
            stdin,
            requester,
            answerLater,
            runner::reserve,
            runner::unreserve,
            id ->
                JobRecord.queued(
                        id, Instant.now(), plan, w, m.idempotencyKey(), requestHash(m, sha, stdin))
                    .withRequester(requester));
    if (!a.existing()) {
      runner.enqueue(a.record().id());
      metrics.submitted();
      log.info(
          "job accepted",
          "job",
          a.record().id(),
          "module",
          sha,
          "engine",
          plan.engine().id(),
          "requester",
          requester == null ? "local" : requester.peerId());
    }
    return a;
  }

  /**
   * Records a job this node sends to other nodes (its plan: the limits asked for over this node's
   * defaults, the engine as asked); the caller dispatches it. Idempotency keys work as for local jobs.
   *
   * @param reserve takes a place among this node's jobs in flight elsewhere; false when there is none
   */
  public Accepted acceptForDispatch(
      JobManifest m,
      JobPlan plan,
      byte[] stdin,
      JobRecord.Dispatch dispatch,
      java.util.function.BooleanSupplier reserve,
      Runnable unreserve)
      throws IOException {
    String sha = plan.moduleSha256();
    Determinism w = plan.deterministic() ? newDeterminism() : null;
    Accepted a =
        record(
            m,
            sha,
            stdin,
            null,
            false,
            reserve,
            unreserve,
            id ->
                JobRecord.queued(
                        id, Instant.now(), plan, w, m.idempotencyKey(), requestHash(m, sha, stdin))
                    .withDispatch(dispatch));
    if (!a.existing()) {
      metrics.submitted();
      log.info(
          "job accepted for other nodes",
          "job",
          a.record().id(),
          "module",
          sha,
          "placement",
          dispatch.placement().text(),
          "redundancy",
          dispatch.redundancy());
    }
    return a;
  }

  /** The durable part of taking a job: idempotency, a reserved place, the record on disk. */
  private Accepted record(
      JobManifest m,
      String sha,
      byte[] stdin,
      JobRecord.Requester requester,
      boolean answerLater,
      java.util.function.BooleanSupplier reserve,
      Runnable unreserve,
      java.util.function.Function<String, JobRecord> make)
      throws IOException {
    String key = m.idempotencyKey();
    String requestSha = requestHash(m, sha, stdin);
    Object lock =
        key != null
            ? idempotencyLock(key)
            : requester != null
                ? idempotencyLock(requester.peerId() + "/" + requester.jobId())
                : new Object();
    synchronized (lock) {
      JobRecord existing =
          key != null
              ? store.byIdempotencyKey(key)
              : requester != null ? store.byRequester(requester.peerId(), requester.jobId()) : null;
      if (existing != null) {
        if (!requestSha.equals(existing.requestSha256())) {
          throw new Refusal(
              Refusal.Kind.CONFLICT,
              key != null ? "idempotencyKey" : "jobId",
              (key != null ? "idempotencyKey '" + key + "'" : "job id '" + requester.jobId() + "'")
                  + " was used for job "
                  + existing.id()
                  + " with a different request");
        }
        return new Accepted(existing, true);
      }
      if (!reserve.getAsBoolean()) {
        metrics.queueFull();
        throw new Refusal(
            Refusal.Kind.BUSY,
            null,
            "the queue is full (" + queueCapacity + " jobs waiting); retry later");
      }
      try {
        JobRecord r = make.apply(store.newId());
        store.create(r, stdin, answerLater);
        return new Accepted(r, false);
      } catch (IOException | RuntimeException e) {
        unreserve.run();
        throw e;
      }
    }
  }

  /** The lock for an idempotency key: striped, so memory stays bounded however many keys come. */
  private Object idempotencyLock(String key) {
    return idempotencyLocks[Math.floorMod(key.hashCode(), idempotencyLocks.length)];
  }

  /** What makes two submissions the same request: the manifest with the module by hash and stdin by digest. */
  public static String requestHash(JobManifest m, String sha, byte[] stdin) {
    ObjectNode o =
        JobJson.tree(m.withModule(new ModuleSource.ByHash(sha)).withStdin(new StdinSource.None()));
    o.put("stdinSha256", HexFormat.of().formatHex(ModuleStore.sha256().digest(stdin)));
    return HexFormat.of()
        .formatHex(ModuleStore.sha256().digest(o.toString().getBytes(StandardCharsets.UTF_8)));
  }

  /** The recorded world of a deterministic job: chosen once, at admission, and stated in its receipt. */
  public static Determinism newDeterminism() {
    byte[] seed = new byte[32];
    RANDOM.nextBytes(seed);
    Instant now = Instant.now();
    return new Determinism(now.getEpochSecond() * 1_000_000L + now.getNano() / 1000, seed);
  }
}
