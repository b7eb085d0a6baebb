package dev.plasm.daemon.internal.remote;

import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.JobState;
import dev.plasm.api.Limit;
import dev.plasm.api.ResourceLimits;
import dev.plasm.api.Usage;
import dev.plasm.daemon.DaemonConfig;
import dev.plasm.daemon.internal.exec.JobRunner;
import dev.plasm.daemon.internal.log.Log;
import dev.plasm.daemon.internal.store.JobRecord;
import dev.plasm.daemon.internal.store.JobStore;
import dev.plasm.daemon.internal.store.Json;
import dev.plasm.daemon.internal.store.WorkerResult;
import dev.plasm.engine.spi.Determinism;
import dev.plasm.host.ReceiptIssuer;
import dev.plasm.host.ReceiptSchemes;
import dev.plasm.host.ReceiptVerifier;
import dev.plasm.job.JobJson;
import dev.plasm.job.JobManifest;
import dev.plasm.job.JobManifest.StdinSource;
import dev.plasm.job.JobPlan;
import dev.plasm.job.Placement;
import dev.plasm.job.Verify;
import dev.plasm.receipt.spi.Receipt;
import dev.plasm.receipt.spi.ReceiptCodec;
import dev.plasm.transport.spi.PeerAddresses;
import dev.plasm.transport.spi.PeerStream;
import dev.plasm.transport.spi.Transport;
import dev.plasm.transport.spi.TransportException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.net.ProtocolException;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The requesting side of jobs across peers (docs/remote.md): finds executors through the DHT,
 * sends the job, waits for the result, and trusts nothing that comes back: the receipt must be
 * signed by exactly the peer dialed, for the nonce and module sent, with the digests of the bytes
 * received, and the limits asked for. With redundancy N the job runs on N distinct executors and
 * only an answer a majority agree on is accepted. A refusal, a lost connection or a result that
 * fails a check moves that copy to another executor, up to {@code remote.max-attempts} tries each.
 */
final class Dispatcher {
  /** Time for an executor to answer a request, and between any two of its messages. */
  static final Duration IDLE_TIMEOUT = Duration.ofSeconds(15);

  /** The longest a control message from an executor may be (its result header holds a receipt). */
  static final int MAX_CONTROL = 1 << 20;

  private static final SecureRandom RANDOM = new SecureRandom();

  private final DaemonConfig config;
  private final Transport transport;
  private final Offers offers;
  private final JobStore store;
  private final Reputation reputation;
  private final RemoteMetrics metrics;
  private final JobRunner runner;
  private final dev.plasm.host.Admission admission;
  private final dev.plasm.host.EngineRegistry registry;
  private final ReceiptVerifier verifier;
  private final Log log;
  private final Semaphore inFlight;
  private final Map<String, Duration> latency = new ConcurrentHashMap<>();

  /** A job being sent out now: its record as this node has it, its open streams, and a client's cancel. */
  private static final class Active {
    final JobRecord[] current;
    final Set<PeerStream> streams = ConcurrentHashMap.newKeySet();
    final java.util.concurrent.CountDownLatch cancelled =
        new java.util.concurrent.CountDownLatch(1);

    Active(JobRecord[] current) {
      this.current = current;
    }

    boolean isCancelled() {
      return cancelled.getCount() == 0;
    }
  }

  private final Map<String, Active> active = new ConcurrentHashMap<>();

  /** Attempts out now, by executor (what the executor's last offer may not know yet). */
  private final Outstanding outTo = new Outstanding();

  /**
   * Set when the node stops. Its stopping breaks the exchanges in flight; those attempts stay
   * {@code running} on disk and their jobs unfinished, to be asked for again after the restart,
   * rather than being recorded lost (and moved to other executors) by a node that is going away.
   */
  private volatile boolean closing;

  /** How long a node that has just started waits for its first peer before it asks executors for the jobs it had out. */
  static final Duration NETWORK_WAIT = Duration.ofSeconds(30);

  Dispatcher(
      DaemonConfig config,
      Transport transport,
      Offers offers,
      JobStore store,
      Reputation reputation,
      RemoteMetrics metrics,
      JobRunner runner,
      dev.plasm.host.Admission admission,
      dev.plasm.host.EngineRegistry registry,
      ReceiptSchemes schemes,
      Log log) {
    this.config = config;
    this.transport = transport;
    this.offers = offers;
    this.store = store;
    this.reputation = reputation;
    this.metrics = metrics;
    this.runner = runner;
    this.admission = admission;
    this.registry = registry;
    this.verifier = new ReceiptVerifier(schemes);
    this.log = log;
    this.inFlight = new Semaphore(config.remote().maxDispatch());
  }

  /** The node is stopping: leave the jobs out as they are on disk (see {@link #closing}). */
  void close() {
    closing = true;
  }

  /** Whether another remote job can go out now. */
  boolean reserve() {
    return inFlight.tryAcquire();
  }

  void unreserve() {
    inFlight.release();
  }

  /** What an executor answered, checked. */
  record Answer(
      String peer,
      String executorJobId,
      JobState state,
      ExecutionOutcome outcome,
      String reason,
      byte[] stdout,
      byte[] stderr,
      byte[] receipt,
      JobPlan.Engine engine,
      ResourceLimits limits) {
    /** What two answers must share to agree: the outcome and the digests of the output. */
    String agreementKey() {
      String o =
          outcome == null ? state.id() : JobJson.outcome(outcome).without("message").toString();
      return o + " " + ReceiptCodec.sha256(stdout) + " " + ReceiptCodec.sha256(stderr);
    }
  }

  /** How one attempt ended. */
  sealed interface Result {
    record Ok(Answer answer) implements Result {}

    record Refused(String code, String message, long retryAfterMillis) implements Result {}

    record Lost(String why, boolean timeout) implements Result {}

    record Invalid(String check, String detail, Answer answer) implements Result {}
  }

  /**
   * Runs a job this node accepted for other nodes (its record durable, queued), on a virtual thread;
   * the place reserved with {@link #reserve} is released when it ends.
   */
  void start(JobRecord r, JobManifest m) {
    Active act = register(r);
    Thread.ofVirtual()
        .name("plasm-dispatch " + r.id())
        .start(
            () -> {
              try {
                run(act, m, false);
              } catch (Throwable t) {
                if (!closing) {
                  log.error("dispatch failed", "job", r.id(), "error", t.toString());
                  endUnverified(store.get(r.id()), "the node could not dispatch the job: " + t);
                }
              } finally {
                active.remove(r.id());
                inFlight.release();
              }
            });
  }

  /** Picks up a job that was out when this node stopped: asks its executors again (docs/remote.md, "Durability"). */
  void resume(JobRecord r, JobManifest m) {
    Active act = register(r);
    Thread.ofVirtual()
        .name("plasm-reattach " + r.id())
        .start(
            () -> {
              try {
                run(act, m, true);
              } catch (Throwable t) {
                if (!closing) {
                  endUnverified(
                      store.get(r.id()),
                      "the node could not reattach the job after its restart: " + t);
                }
              } finally {
                active.remove(r.id());
              }
            });
  }

  /** Makes the job known as out before its thread starts, so a cancel at once finds it. */
  private Active register(JobRecord r) {
    Active act = new Active(new JobRecord[] {r});
    active.put(r.id(), act);
    return act;
  }

  private void run(Active act, JobManifest m, boolean reattach)
      throws IOException, InterruptedException {
    JobRecord[] current = act.current;
    JobRecord r = current[0];
    if (!reattach) {
      // The job becomes running with its first attempt's record (one durable write, not two).
      metrics.dispatched();
    }
    JobRecord.Dispatch d = r.dispatch();
    int needed = d.redundancy();
    List<Answer> answers = new ArrayList<>();
    Set<String> tried = new HashSet<>();
    List<Candidate> candidates = new ArrayList<>();

    // After a restart: the executors already asked are asked again for the same job (by our job
    // id).
    if (reattach) {
      awaitNetwork();
      for (JobRecord.Attempt a : d.attempts()) {
        tried.add(a.peerId());
        if ((a.result().equals("running") || a.result().equals("ok")) && !act.isCancelled()) {
          Result res = attempt(current, m, a.peerId(), outTo.sent(a.peerId()), null, a);
          if (res instanceof Result.Ok ok) {
            answers.add(ok.answer());
          }
        }
      }
    }
    // Executors that refused busy: tried again once the backoff (their retry hint) has passed.
    Set<String> busy = new HashSet<>();
    int budget = config.remote().maxAttempts() * needed;
    long backoff = 500;
    while (answers.size() < needed && budget > 0 && !act.isCancelled() && !closing) {
      if (candidates.isEmpty()) {
        candidates.addAll(choose(current[0], m, tried));
        if (candidates.isEmpty()) {
          if (tried.isEmpty() || backoff > 4000) {
            break;
          }
          // Executors may free up; ask the DHT again (at once when a client cancels).
          if (act.cancelled.await(backoff, java.util.concurrent.TimeUnit.MILLISECONDS)) {
            break;
          }
          backoff *= 2;
          tried.removeAll(busy); // their hint has passed: they may have a place now
          busy.clear();
          candidates.addAll(choose(current[0], m, tried));
          if (candidates.isEmpty()) {
            break;
          }
        }
      }
      // Up to the copies still needed, at once, on distinct executors.
      int want = Math.min(needed - answers.size(), candidates.size());
      List<Sent> batch = new ArrayList<>();
      for (int i = 0; i < want && budget > 0; i++, budget--) {
        Sent p = take(candidates);
        tried.add(p.peer());
        batch.add(p);
      }
      Result[] results = new Result[batch.size()];
      List<Thread> ts = new ArrayList<>();
      for (int i = 0; i < batch.size(); i++) {
        int k = i;
        Runnable one =
            () -> {
              try {
                results[k] =
                    attempt(current, m, batch.get(k).peer(), batch.get(k).at(), nonceFor(m), null);
              } catch (IOException | InterruptedException | RuntimeException e) {
                results[k] = new Result.Lost(e.toString(), false);
              }
            };
        if (batch.size() == 1) {
          one.run(); // the common case: no thread to start and join on the job's path
        } else {
          ts.add(Thread.ofVirtual().start(one));
        }
      }
      for (Thread t : ts) {
        t.join();
      }
      for (int i = 0; i < results.length; i++) {
        if (results[i] instanceof Result.Ok ok) {
          answers.add(ok.answer());
        } else if (results[i] instanceof Result.Refused rf && rf.code().equals("busy")) {
          backoff = Math.max(backoff, Math.min(rf.retryAfterMillis(), 4000));
          busy.add(batch.get(i).peer());
        }
      }
    }
    JobRecord latest;
    synchronized (current) {
      latest = current[0];
    }
    if (act.isCancelled() && answers.size() < needed) {
      endCancelled(latest);
      return;
    }
    if (closing && answers.size() < needed) {
      return; // asked for again after the restart
    }
    finish(latest, m, answers, needed);
  }

  /**
   * Waits (at most {@link #NETWORK_WAIT}) until this node is connected to a peer: just after a
   * restart it is alone until its bootstrap peers answer, and an executor asked for a job then
   * could not even be found.
   */
  private void awaitNetwork() throws InterruptedException {
    long until = System.nanoTime() + NETWORK_WAIT.toNanos();
    while (!closing && System.nanoTime() < until) {
      try {
        if (!transport.peers().isEmpty()) {
          return;
        }
      } catch (TransportException e) {
        return;
      }
      Thread.sleep(100);
    }
  }

  /** The nonce sent to an executor: the requester's own when the manifest has one, else a fresh one. */
  private static String nonceFor(JobManifest m) {
    if (m.nonce() != null) {
      return m.nonce();
    }
    byte[] b = new byte[16];
    RANDOM.nextBytes(b);
    return "plasm-" + HexFormat.of().formatHex(b);
  }

  /** An executor that can take the job, as this node sees it now. */
  record Candidate(String peer, double score, int offeredIdle, Instant offeredAt, Duration rtt) {
    /** Trusted enough to go first: a stranger is 0.5, two failures and nothing else 0.25, one lie far less. */
    boolean trusted() {
      return score >= 0.25;
    }

    /** The score in tenths, so that a few successes more do not outrank an idle executor. */
    int tier() {
      return (int) Math.floor(score * 10);
    }
  }

  /**
   * Executors that can take this job: its pinned peer, or the providers of its engine (or of any
   * engine) whose current signed offer fits it; {@link #take} picks among them.
   */
  List<Candidate> choose(JobRecord r, JobManifest m, Set<String> tried) {
    Placement p = r.dispatch().placement();
    List<String> ids = new ArrayList<>();
    if (p.kind() == Placement.Kind.PEER) {
      if (!tried.contains(p.peerId())) {
        ids.add(p.peerId());
      }
    } else {
      try {
        var key =
            m.engine().equals(JobManifest.AUTO) ? Offers.EXECUTORS : Offers.engineKey(m.engine());
        for (PeerAddresses pa : providers(key, !tried.isEmpty())) {
          if (!tried.contains(pa.peerId())) {
            ids.add(pa.peerId());
          }
        }
      } catch (TransportException e) {
        log.warn("could not look for executors", "job", r.id(), "error", e.getMessage());
      }
    }
    List<Candidate> fit = new ArrayList<>();
    for (String id : ids) {
      Optional<NodeRecord> offer = offer(id);
      if (offer.isEmpty()) {
        continue;
      }
      String misfit = misfit(offer.get(), r.plan().limits(), m);
      if (misfit != null) {
        log.info("executor does not fit the job", "job", r.id(), "peer", id, "why", misfit);
        continue;
      }
      Duration rtt =
          latency.computeIfAbsent(
              id,
              x -> {
                try {
                  return transport.ping(x);
                } catch (TransportException e) {
                  return Duration.ofSeconds(10);
                }
              });
      NodeRecord.Capacity cap = offer.get().capacity();
      fit.add(
          new Candidate(
              id,
              reputation.of(id).score(),
              cap.executors() - cap.running() - cap.queued(),
              offer.get().issuedAt(),
              rtt));
    }
    return fit;
  }

  /**
   * Takes the best of {@code candidates} for the next attempt and counts it as out to that peer, in
   * one step, so that jobs placed at the same moment see each other. Trusted peers with an idle
   * executor first (idle: as offered, less the attempts this node has out to it now), the better
   * known of them first (a warm peer keeps its caches); when all are busy, the least busy first;
   * then the nearer.
   */
  private synchronized Sent take(List<Candidate> candidates) {
    Comparator<Candidate> order =
        Comparator.comparing((Candidate c) -> !c.trusted())
            .thenComparing(c -> idle(c) <= 0)
            .thenComparingInt(c -> idle(c) > 0 ? -c.tier() : -idle(c))
            .thenComparingInt(c -> idle(c) > 0 ? -idle(c) : -c.tier())
            .thenComparing(Candidate::rtt);
    Candidate best = candidates.stream().min(order).orElseThrow();
    candidates.remove(best);
    return new Sent(best.peer(), outTo.sent(best.peer()));
  }

  /** An attempt taken: the executor and when it was counted as out to it. */
  private record Sent(String peer, Instant at) {}

  private int idle(Candidate c) {
    return c.offeredIdle() - outTo.since(c.peer(), c.offeredAt());
  }

  /** How long a provider list and an offer read from the DHT are used before they are read again. */
  static final Duration FRESH = Duration.ofSeconds(5);

  private record Providers(List<PeerAddresses> list, Instant at) {}

  private final Map<String, Providers> providerCache = new ConcurrentHashMap<>();
  private final Map<String, Instant> offerReadAt = new ConcurrentHashMap<>();

  /**
   * The providers of {@code key}: from a DHT walk at most {@link #FRESH} old, so that a node sending
   * many small jobs does not walk the DHT for each (a retry after a failure walks it again).
   */
  private List<PeerAddresses> providers(dev.plasm.transport.spi.DhtKey key, boolean again) {
    Providers p = providerCache.get(key.text());
    if (!again && p != null && Duration.between(p.at(), Instant.now()).compareTo(FRESH) < 0) {
      return p.list();
    }
    List<PeerAddresses> list = offers.providers(key, 20);
    providerCache.put(key.text(), new Providers(list, Instant.now()));
    return list;
  }

  /** A peer's offer: the one last read if it is at most {@link #FRESH} old and not expired, else read again. */
  private Optional<NodeRecord> offer(String peerId) {
    NodeRecord known = offers.known(peerId);
    Instant at = offerReadAt.get(peerId);
    Instant now = Instant.now();
    if (known != null
        && at != null
        && known.expiresAt().isAfter(now)
        && Duration.between(at, now).compareTo(FRESH) < 0) {
      return Optional.of(known);
    }
    Optional<NodeRecord> r = offers.read(peerId, Instant::now);
    r.ifPresent(x -> offerReadAt.put(peerId, now));
    return r;
  }

  /** Why an offer cannot take this job, or null. */
  static String misfit(NodeRecord offer, ResourceLimits limits, JobManifest m) {
    if (!offer.protocols().contains(JobService.PROTOCOL)) {
      return "it does not serve " + JobService.PROTOCOL;
    }
    if (offer.capacity().remoteFree() <= 0) {
      return "it has no free place for other peers' jobs";
    }
    boolean fuel = limits.fuel().isPresent();
    boolean engineOk =
        offer.engines().stream()
            .anyMatch(
                e ->
                    (m.engine().equals(JobManifest.AUTO) || e.id().equals(m.engine()))
                        && (!fuel || e.fuel())
                        && (!m.deterministic() || e.deterministic()));
    if (!engineOk) {
      return "no engine there can run it ("
          + m.engine()
          + (fuel ? ", metered" : "")
          + (m.deterministic() ? ", deterministic" : "")
          + ")";
    }
    for (var e : limits.values().entrySet()) {
      Limit l = e.getKey();
      if (offer.limits().containsKey(l.jsonName()) && e.getValue() > offer.limit(l)) {
        return l.jsonName() + " " + e.getValue() + " is over its " + offer.limit(l);
      }
    }
    return null;
  }

  /**
   * One try on one executor: records the attempt durably, sends the job (or, with {@code resumed},
   * asks for it again), waits, checks what comes back, and records how it ended.
   */
  private Result attempt(
      JobRecord[] current,
      JobManifest m,
      String peer,
      Instant sentAt,
      String nonce,
      JobRecord.Attempt resumed)
      throws IOException, InterruptedException {
    JobRecord.Attempt a =
        resumed != null
            ? resumed
            : new JobRecord.Attempt(peer, Instant.now(), null, "running", null, null);
    Result res;
    try { // the attempt was counted as out to the peer when it was taken
      // The stream is opened (and its protocol negotiated) while the attempt's record is forced to
      // disk; nothing is sent on it before that record is durable.
      CompletableFuture<PeerStream> stream = open(peer);
      if (resumed == null) {
        try {
          update(
              current,
              x ->
                  (x.state() == JobState.QUEUED ? x.running(a.startedAt()) : x)
                      .withDispatch(x.dispatch().withAttempt(a)));
        } catch (IOException | RuntimeException e) {
          stream.thenAccept(PeerStream::reset);
          throw e;
        }
      }
      res = exchange(current, m, peer, nonce, a, stream);
    } finally {
      outTo.back(peer, sentAt);
    }
    if (closing && !(res instanceof Result.Ok)) {
      throw new InterruptedException(
          "the node is stopping; the attempt is asked for again after the restart");
    }
    String result =
        switch (res) {
          case Result.Ok ok -> "ok";
          case Result.Refused rf -> "refused";
          case Result.Lost l -> "lost";
          case Result.Invalid iv -> "invalid";
        };
    String detail =
        switch (res) {
          case Result.Ok ok -> null;
          case Result.Refused rf -> rf.code() + ": " + rf.message();
          case Result.Lost l -> l.why();
          case Result.Invalid iv -> iv.check() + ": " + iv.detail();
        };
    JobRecord.Attempt latest =
        current[0].dispatch().attempts().stream()
            .filter(x -> x.peerId().equals(peer) && x.startedAt().equals(a.startedAt()))
            .findFirst()
            .orElse(a);
    JobRecord.Attempt ended = latest.ended(Instant.now(), result, detail);
    if (res instanceof Result.Ok) {
      // Written with the job's end by finish (a crash before that reattaches: the attempt is still
      // running on disk).
      remember(current, x -> x.withDispatch(x.dispatch().withAttempt(ended)));
    } else {
      update(current, x -> x.withDispatch(x.dispatch().withAttempt(ended)));
    }
    metrics.attempt(result);
    Active act = active.get(current[0].id());
    if (act != null
        && act.isCancelled()
        && !(res instanceof Result.Ok)
        && !(res instanceof Result.Invalid)) {
      return res; // what the cancel caused is not the executor's fault
    }
    switch (res) {
      case Result.Ok ok -> reputation.record(peer, Reputation.Event.SUCCESS);
      case Result.Refused rf -> {
        if (!rf.code().equals("busy")) {
          reputation.record(peer, Reputation.Event.FAILURE);
        }
      }
      case Result.Lost l ->
          reputation.record(
              peer, l.timeout() ? Reputation.Event.TIMEOUT : Reputation.Event.FAILURE);
      case Result.Invalid iv -> {
        reputation.record(peer, Reputation.Event.LIE);
        metrics.rejected(iv.check());
        log.warn(
            "an executor's result failed a check",
            "job",
            current[0].id(),
            "peer",
            peer,
            "check",
            iv.check(),
            "detail",
            iv.detail());
      }
    }
    return res;
  }

  private interface Change {
    JobRecord apply(JobRecord r);
  }

  /** Applies a change to the job's record in memory only, for the next durable write to carry. */
  private void remember(JobRecord[] current, Change c) {
    synchronized (current) {
      current[0] = c.apply(current[0]);
    }
  }

  /** Applies a change to the job's record in memory and in the store's view, not durably (see {@link JobStore#note}). */
  private void note(JobRecord[] current, Change c) {
    synchronized (current) {
      current[0] = c.apply(current[0]);
      store.note(current[0]);
    }
  }

  /** Applies a change to the job's record, durably; attempts of one job update it from several threads. */
  private void update(JobRecord[] current, Change c) throws IOException {
    synchronized (current) {
      current[0] = c.apply(current[0]);
      store.update(current[0]);
    }
  }

  /** Opens a job stream to {@code peer} on a virtual thread. */
  private CompletableFuture<PeerStream> open(String peer) {
    CompletableFuture<PeerStream> f = new CompletableFuture<>();
    Thread.ofVirtual()
        .name("plasm-dispatch-open")
        .start(
            () -> {
              try {
                f.complete(transport.openStream(peer, JobService.PROTOCOL));
              } catch (Throwable t) {
                f.completeExceptionally(t);
              }
            });
    return f;
  }

  private Result exchange(
      JobRecord[] current,
      JobManifest m,
      String peer,
      String nonce,
      JobRecord.Attempt a,
      CompletableFuture<PeerStream> opening)
      throws IOException, InterruptedException {
    JobRecord r = current[0];
    PeerStream s;
    try {
      s = opening.get();
    } catch (InterruptedException e) {
      opening.thenAccept(PeerStream::reset); // a stream that opens after all is not left open
      throw e;
    } catch (java.util.concurrent.ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof TransportException t) {
        return new Result.Lost("could not reach the executor: " + t.getMessage(), false);
      }
      if (c instanceof RuntimeException re) {
        throw re;
      }
      throw new IOException(c);
    }
    Active act = active.get(r.id());
    if (act != null) {
      act.streams.add(s);
    }
    Duration total =
        r.plan().limits().timeout().plus(config.workers().killGrace()).plus(Duration.ofMinutes(2));
    Instant until = Instant.now().plus(total);
    try (s;
        Deadlines.Deadline idle = Deadlines.after(IDLE_TIMEOUT, s::reset)) {
      ObjectNode req = Json.MAPPER.createObjectNode().put("jobId", r.id());
      if (nonce == null) {
        req.put("type", "attach");
      } else {
        req.put("type", "run");
        req.set("manifest", JobJson.tree(forExecutor(m, r.plan().limits(), nonce)));
        if (r.determinism() != null) {
          req.putObject("determinism")
              .put("clockEpochMicros", r.determinism().clockEpochMicros())
              .put("randomSeed", HexFormat.of().formatHex(r.determinism().randomSeed()));
        }
      }
      Frames.control(s.output(), req);
      s.closeWrite();
      String executorJobId = a.executorJobId();
      while (true) {
        Frames.Frame f = Frames.read(s.input(), MAX_CONTROL);
        if (f == null) {
          return new Result.Lost("the executor closed the stream before the result", false);
        }
        idle.in(IDLE_TIMEOUT);
        if (Instant.now().isAfter(until)) {
          return new Result.Lost("no result within the job's deadline and grace", true);
        }
        JsonNode msg = f.json();
        switch (msg.path("type").asString("")) {
          case "accepted" -> {
            if (act != null && act.isCancelled()) {
              // The cancel may have reached the executor before this job had: tell it again now.
              Thread.ofVirtual().start(() -> tellCancel(peer, r.id()));
            }
            executorJobId = msg.path("jobId").asString("");
            String id = executorJobId;
            // Not forced: the executor is starting the job now, and a forced write here would
            // queue behind and beside its own on the same disk and CPUs. Lost in a crash, the id
            // comes again in the executor's answer to the reattach.
            note(
                current,
                x ->
                    x.withDispatch(
                        x.dispatch()
                            .withAttempt(
                                x.dispatch().attempts().stream()
                                    .filter(
                                        y ->
                                            y.peerId().equals(peer)
                                                && y.startedAt().equals(a.startedAt()))
                                    .findFirst()
                                    .orElse(a)
                                    .withExecutorJobId(id))));
          }
          case "status" -> {}
          case "refused" -> {
            if (nonce == null && "unknown-job".equals(msg.path("code").asString(""))) {
              // Asked again after a restart, the executor no longer has the job: whatever it did is
              // lost.
              return new Result.Lost("unknown-job: " + msg.path("message").asString(""), false);
            }
            return new Result.Refused(
                msg.path("code").asString("refused"),
                msg.path("message").asString(""),
                msg.path("retryAfterMillis").asLong(0));
          }
          case "result" -> {
            return result(
                s, msg, r, m, peer, nonce != null ? nonce : m.nonce(), executorJobId, idle);
          }
          default ->
              throw new ProtocolException(
                  "an unknown message '" + msg.path("type").asString("") + "'");
        }
      }
    } catch (ProtocolException e) {
      return new Result.Invalid("protocol", e.getMessage(), null);
    } catch (IOException | TransportException e) {
      return new Result.Lost("the connection broke: " + e.getMessage(), false);
    } finally {
      if (act != null) {
        act.streams.remove(s);
      }
    }
  }

  /** The manifest as an executor gets it: module by hash, stdin inline, every limit explicit, a nonce. */
  static JobManifest forExecutor(JobManifest m, ResourceLimits limits, String nonce) {
    return new JobManifest(
        m.module(),
        m.programName(),
        m.args(),
        m.env(),
        m.stdin() instanceof StdinSource.Inline ? m.stdin() : new StdinSource.None(),
        limits.values(),
        m.engine(),
        m.deterministic(),
        nonce,
        Placement.ANY,
        1,
        Verify.RECEIPT,
        null);
  }

  private Result result(
      PeerStream s,
      JsonNode h,
      JobRecord r,
      JobManifest m,
      String peer,
      String nonce,
      String executorJobId,
      Deadlines.Deadline idle)
      throws IOException {
    long outBytes = h.path("stdoutBytes").asLong(-1);
    long errBytes = h.path("stderrBytes").asLong(-1);
    long cap = r.plan().limits().maxOutputBytes();
    if (outBytes < 0 || errBytes < 0 || outBytes > cap || errBytes > cap) {
      throw new ProtocolException(
          "output sizes " + outBytes + "/" + errBytes + " outside 0.." + cap);
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    while (true) {
      Frames.Frame f = Frames.read(s.input(), Frames.CHUNK);
      if (f == null) {
        throw new ProtocolException("the result ended without its end message");
      }
      idle.in(IDLE_TIMEOUT);
      if (f.type() == Frames.STDOUT) {
        out.writeBytes(f.payload());
      } else if (f.type() == Frames.STDERR) {
        err.writeBytes(f.payload());
      } else if ("end".equals(f.json().path("type").asString(""))) {
        break;
      }
      if (out.size() > outBytes || err.size() > errBytes) {
        throw new ProtocolException("more output than announced");
      }
    }
    if (out.size() != outBytes || err.size() != errBytes) {
      throw new ProtocolException("less output than announced");
    }
    JobState state = JobState.byId(h.path("state").asString(""));
    if (state == null || !state.terminal()) {
      throw new ProtocolException("a result for a job that has not ended");
    }
    ExecutionOutcome outcome = null;
    try {
      if (h.has("outcome")) {
        outcome =
            JobJson.outcome(h.get("outcome"), JobJson.usage(h.get("usage"), "usage"), "outcome");
      }
      JobPlan.Engine engine =
          new JobPlan.Engine(
              h.path("engine").path("id").asString(""),
              h.path("engine").path("version").asString(""));
      ResourceLimits limits = JobJson.limits(h.get("limits"), "limits");
      byte[] receipt = h.has("receipt") ? Json.LINE.writeValueAsBytes(h.get("receipt")) : null;
      Answer answer =
          new Answer(
              peer,
              executorJobId,
              state,
              outcome,
              h.path("reason").asString(null),
              out.toByteArray(),
              err.toByteArray(),
              receipt,
              engine,
              limits);
      return check(answer, r, m, nonce);
    } catch (RuntimeException e) {
      throw new ProtocolException("a malformed result: " + e.getMessage());
    }
  }

  /** Checks an answer against what was sent and what came back; the first failing check names itself. */
  Result check(Answer a, JobRecord r, JobManifest m, String nonce) {
    if (a.outcome() == null) {
      // The job ended before it started there (cancelled or interrupted while queued): nothing ran,
      // no receipt.
      return new Result.Refused(
          "not-run", "the executor ended the job before it ran: " + a.reason(), 0);
    }
    if (a.receipt() == null) {
      return new Result.Invalid("receipt", "the executor sent no receipt", a);
    }
    ReceiptVerifier.Report report =
        verifier.verify(
            a.receipt(),
            new ReceiptVerifier.Request(
                null, a.stdout(), a.stderr(), List.of(a.peer()), a.executorJobId(), nonce));
    if (!report.passed()) {
      var f = report.failures().get(0);
      if (f.name().equals("trust")) {
        // The dialed peer is the only signer trusted: a sound receipt by any other key fails check
        // 3, signer.
        return new Result.Invalid(
            "signer",
            "signed by "
                + report.receipt().signer().peerId()
                + ", not by the executor dialed, "
                + a.peer(),
            a);
      }
      return new Result.Invalid(f.name(), f.detail(), a);
    }
    Receipt rc = report.receipt();
    if (!rc.module().sha256().equals(r.plan().moduleSha256())) {
      return new Result.Invalid("module", "the receipt is for module " + rc.module().sha256(), a);
    }
    if (!rc.inputs().argsSha256().equals(ReceiptIssuer.argsSha256(r.plan().args()))
        || !rc.inputs().envSha256().equals(ReceiptIssuer.envSha256(r.plan().env()))) {
      return new Result.Invalid(
          "inputs", "the receipt states other arguments or environment than were sent", a);
    }
    Receipt.Outcome want = ReceiptIssuer.outcome(a.outcome());
    if (!want.equals(rc.outcome())) {
      return new Result.Invalid(
          "outcome", "the executor said " + want + " but its receipt says " + rc.outcome(), a);
    }
    for (var e : r.plan().limits().byJsonName().entrySet()) {
      Long stated = rc.settings().limits().get(e.getKey());
      if (stated == null || !stated.equals(e.getValue())) {
        return new Result.Invalid(
            "limits", "the job ran with " + e.getKey() + " " + stated + ", not " + e.getValue(), a);
      }
    }
    if (r.determinism() != null) {
      Receipt.Deterministic dw = rc.settings().deterministic();
      if (dw == null
          || dw.clockEpochMicros() != r.determinism().clockEpochMicros()
          || !dw.randomSeed().equals(HexFormat.of().formatHex(r.determinism().randomSeed()))) {
        return new Result.Invalid(
            "determinism", "the receipt states another recorded world than was sent", a);
      }
    }
    if (!rc.settings().engineId().equals(a.engine().id())
        || !rc.settings().engineVersion().equals(a.engine().version())) {
      return new Result.Invalid(
          "engine", "the receipt states another engine than the executor said", a);
    }
    return new Result.Ok(a);
  }

  /**
   * Decides: with redundancy the answer a majority agree on; writes its output, receipt and outcome
   * into the job; names the peers that disagreed; runs a deterministic job again here when asked.
   */
  private void finish(JobRecord r, JobManifest m, List<Answer> answers, int needed)
      throws IOException {
    if (answers.size() < needed) {
      String why =
          (answers.isEmpty()
                  ? "no executor"
                  : "only " + answers.size() + " of " + needed + " executors")
              + " returned a result that passed the checks after "
              + r.dispatch().attempts().size()
              + " attempts"
              + summary(r.dispatch());
      if (needed > 1 && !answers.isEmpty()) {
        why += "; too few for the redundancy asked";
      }
      endUnverified(r, why);
      return;
    }
    Map<String, List<Answer>> groups = new LinkedHashMap<>();
    for (Answer a : answers) {
      groups.computeIfAbsent(a.agreementKey(), k -> new ArrayList<>()).add(a);
    }
    List<Answer> majority =
        groups.values().stream().max(Comparator.comparingInt(List::size)).orElseThrow();
    if (majority.size() * 2 <= answers.size()) {
      StringBuilder b =
          new StringBuilder("the ")
              .append(answers.size())
              .append(" results disagree and none has a majority:");
      for (List<Answer> g : groups.values()) {
        b.append(' ')
            .append(g.stream().map(Answer::peer).toList())
            .append(" said ")
            .append(describe(g.get(0)))
            .append(';');
      }
      endUnverified(r, b.toString());
      return;
    }
    List<String> liars = new ArrayList<>();
    for (List<Answer> g : groups.values()) {
      if (g != majority) {
        for (Answer a : g) {
          liars.add(a.peer());
          reputation.record(a.peer(), Reputation.Event.LIE);
          metrics.rejected("disagreement");
          r =
              r.withDispatch(
                  r.dispatch()
                      .withAttempt(
                          r.dispatch().attempts().stream()
                              .filter(x -> x.peerId().equals(a.peer()) && "ok".equals(x.result()))
                              .findFirst()
                              .orElseThrow()
                              .ended(
                                  Instant.now(),
                                  "disagreed",
                                  "outvoted: it said "
                                      + describe(a)
                                      + ", the majority "
                                      + describe(majority.get(0)))));
        }
      }
    }
    Answer chosen = majority.get(0);
    if (r.dispatch().verify() == Verify.REEXECUTE) {
      String mismatch = reexecute(r, m, chosen);
      if (mismatch != null) {
        for (Answer a : majority) {
          reputation.record(a.peer(), Reputation.Event.LIE);
        }
        metrics.rejected("reexecution");
        endUnverified(
            r,
            "running the job here gave another result than "
                + majority.stream().map(Answer::peer).toList()
                + " reported: "
                + mismatch);
        return;
      }
    }
    // The record states what ran, as a job of this node does: the engine (and version) and the
    // limits the executor's receipt states (check() compared them with its answer).
    JobPlan ran = r.plan().ranWith(chosen.engine(), chosen.limits());
    String reason =
        liars.isEmpty()
            ? null
            : "accepted the answer of "
                + majority.stream().map(Answer::peer).toList()
                + "; "
                + liars
                + " disagreed";
    JobRecord ended =
        r.withPlan(ran)
            .withDispatch(r.dispatch().withExecutedBy(majority.stream().map(Answer::peer).toList()))
            .ended(
                WorkerResult.stateOf(chosen.outcome()),
                Instant.now(),
                chosen.outcome(),
                reason,
                true);
    // The output and receipt travel in the job's end entry: one forced write.
    store.end(
        ended,
        new JobStore.Parts(chosen.stdout(), chosen.stderr(), chosen.receipt(), false, false));
    log.info(
        "job ended",
        "job",
        r.id(),
        "state",
        ended.state().id(),
        "outcome",
        chosen.outcome().id(),
        "executedBy",
        String.join(",", ended.dispatch().executedBy()));
  }

  private static String describe(Answer a) {
    JsonNode o = JobJson.outcome(a.outcome());
    return o.path("kind").asString()
        + (o.has("exitCode") ? " " + o.get("exitCode").asInt() : "")
        + (o.has("detail") ? " " + o.get("detail").asString() : "")
        + ", stdout "
        + ReceiptCodec.sha256(a.stdout()).substring(0, 12);
  }

  private static String summary(JobRecord.Dispatch d) {
    if (d.attempts().isEmpty()) {
      return d.placement().kind() == Placement.Kind.PEER
          ? " (peer " + d.placement().peerId() + " offers nothing that fits)"
          : " (no provider found in the DHT offered what the job needs)";
    }
    StringBuilder b = new StringBuilder(":");
    for (JobRecord.Attempt a : d.attempts()) {
      b.append(' ')
          .append(a.peerId(), 0, Math.min(16, a.peerId().length()))
          .append("... ")
          .append(a.result());
      if (a.detail() != null) {
        b.append(" (").append(a.detail()).append(')');
      }
      b.append(';');
    }
    return b.toString();
  }

  /** How long executors have to answer a cancel with the job's result before its streams are cut. */
  static final Duration CANCEL_WAIT = Duration.ofSeconds(10);

  /**
   * Cancels a job this node sent out (docs/remote.md, "Cancelling"): no further attempt starts; each
   * executor running it is told to cancel it, and answers on the job's stream with its result (the
   * cancelled outcome and its receipt, or the result it had already reached); streams still open
   * after {@link #CANCEL_WAIT} are cut and the job ends cancelled without a receipt. Returns once
   * the job's record has ended.
   */
  void cancel(String id) throws IOException {
    Active act = active.get(id);
    var done = store.whenDone(id);
    if (act != null) {
      act.cancelled.countDown();
      List<String> peers = new ArrayList<>();
      synchronized (act.current) {
        for (JobRecord.Attempt a : act.current[0].dispatch().attempts()) {
          if (a.result().equals("running")) {
            peers.add(a.peerId());
          }
        }
      }
      List<Thread> ts = new ArrayList<>();
      for (String peer : peers) {
        ts.add(Thread.ofVirtual().start(() -> tellCancel(peer, id)));
      }
      try {
        for (Thread t : ts) {
          t.join();
        }
        done.get(CANCEL_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
        return;
      } catch (java.util.concurrent.TimeoutException e) {
        log.warn("executors did not answer a cancel in time; their streams are cut", "job", id);
        for (PeerStream s : act.streams) {
          s.reset();
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted while cancelling job " + id, e);
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IOException(e.getCause());
      }
    }
    try {
      done.get(CANCEL_WAIT.toMillis(), java.util.concurrent.TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.TimeoutException | java.util.concurrent.ExecutionException e) {
      throw new IOException(
          "job " + id + " did not end within " + CANCEL_WAIT.toSeconds() + " s of its cancel");
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while cancelling job " + id, e);
    }
  }

  /** Asks an executor to cancel the job this node sent it under {@code id}; best effort, bounded. */
  private void tellCancel(String peer, String id) {
    try (PeerStream s = transport.openStream(peer, JobService.PROTOCOL);
        Deadlines.Deadline d = Deadlines.after(Duration.ofSeconds(5), s::reset)) {
      Frames.control(
          s.output(), Json.MAPPER.createObjectNode().put("type", "cancel").put("jobId", id));
      s.closeWrite();
      Frames.Frame f = Frames.read(s.input(), MAX_CONTROL);
      if (f == null || !"cancelled".equals(f.json().path("type").asString(""))) {
        log.warn(
            "an executor did not confirm a cancel",
            "job",
            id,
            "peer",
            peer,
            "answer",
            f == null ? "none" : f.json().toString());
      }
    } catch (IOException | RuntimeException e) {
      log.warn(
          "could not tell an executor to cancel", "job", id, "peer", peer, "error", e.getMessage());
    }
  }

  /** Ends a job a client cancelled before an accepted result came back: cancelled, no receipt. */
  private void endCancelled(JobRecord r) {
    if (r == null || r.terminal()) {
      return;
    }
    try {
      Instant now = Instant.now();
      String why = "cancelled by a client";
      if (r.dispatch().attempts().isEmpty()) {
        store.update(r.endedUnrun(JobState.CANCELLED, now, why + " before any node took it"));
      } else {
        why +=
            "; no executor returned a result for it that passed the checks" + summary(r.dispatch());
        JobRecord started = r.state() == JobState.QUEUED ? r.running(now) : r;
        store.update(
            started.ended(
                JobState.CANCELLED,
                now,
                new ExecutionOutcome.Cancelled(why, Usage.NONE),
                why,
                false));
      }
      log.info("remote job cancelled", "job", r.id());
    } catch (IOException e) {
      log.error("cannot record the job's end", "job", r.id(), "error", e.toString());
    }
  }

  /** Ends a job without an accepted result: failed, no receipt (no node ran it for us that we believe). */
  private void endUnverified(JobRecord r, String why) {
    if (r == null || r.terminal()) {
      return;
    }
    try {
      Instant now = Instant.now();
      JobRecord started = r.state() == JobState.QUEUED ? r.running(now) : r;
      store.update(
          started.ended(
              JobState.FINISHED, now, new ExecutionOutcome.Failed(why, Usage.NONE), why, false));
      log.warn("remote job failed", "job", r.id(), "why", why);
    } catch (IOException e) {
      log.error("cannot record the job's end", "job", r.id(), "error", e.toString());
    }
  }

  private boolean registryHas(String engineId) {
    return registry.find(engineId).isPresent();
  }

  /** Runs a deterministic job again on this node; null when it agrees, else what differs. */
  private String reexecute(JobRecord r, JobManifest m, Answer chosen) {
    try {
      Receipt rc = ReceiptCodec.parse(chosen.receipt());
      Determinism det =
          rc.settings().deterministic() == null
              ? null
              : new Determinism(
                  rc.settings().deterministic().clockEpochMicros(),
                  HexFormat.of().parseHex(rc.settings().deterministic().randomSeed()));
      byte[] stdin = m.stdin() instanceof StdinSource.Inline in ? in.bytes() : new byte[0];
      String engine =
          admission.policy() != null && registryHas(rc.settings().engineId())
              ? rc.settings().engineId()
              : JobManifest.AUTO;
      JobManifest again = forExecutor(m, chosen.limits(), rc.nonce()).withEngine(engine);
      JobPlan plan =
          admission.admit(
              again,
              new dev.plasm.host.Admission.ModuleInfo(
                  r.plan().moduleSha256(), r.plan().moduleBytes()),
              r.plan().programName(),
              stdin.length);
      JobRunner.Replay replay = runner.replay(r.id(), plan, det, stdin);
      Receipt.Outcome mine = ReceiptIssuer.outcome(replay.outcome());
      if (!mine.equals(rc.outcome())) {
        return "outcome " + mine + " here, " + rc.outcome() + " there";
      }
      if (!ReceiptCodec.sha256(replay.stdout()).equals(rc.stdout().sha256())) {
        return "stdout differs";
      }
      if (!ReceiptCodec.sha256(replay.stderr()).equals(rc.stderr().sha256())) {
        return "stderr differs";
      }
      return null;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return "interrupted while running the job here";
    } catch (IOException | RuntimeException e) {
      return "the job could not run here: " + e.getMessage();
    }
  }
}
