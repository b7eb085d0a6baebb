package dev.plasm.daemon.internal.remote;

import dev.plasm.daemon.DaemonConfig;
import dev.plasm.daemon.internal.exec.Intake;
import dev.plasm.daemon.internal.exec.JobRunner;
import dev.plasm.daemon.internal.log.Log;
import dev.plasm.daemon.internal.store.JobRecord;
import dev.plasm.daemon.internal.store.JobStore;
import dev.plasm.daemon.internal.store.Json;
import dev.plasm.daemon.internal.store.ModuleStore;
import dev.plasm.engine.spi.Determinism;
import dev.plasm.job.JobJson;
import dev.plasm.job.JobManifest;
import dev.plasm.job.JobManifest.ModuleSource;
import dev.plasm.job.JobManifest.StdinSource;
import dev.plasm.job.ManifestException;
import dev.plasm.transport.spi.PeerAddresses;
import dev.plasm.transport.spi.PeerStream;
import dev.plasm.transport.spi.Transport;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.OutputStream;
import java.net.ProtocolException;
import java.nio.file.Files;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The executing side of {@code /plasm/job/1.0.0} (docs/remote.md): a peer sends a job (or asks
 * again for one it sent); this node checks its policy (enabled, allowed, not over its per-peer and
 * global bounds), fetches the module by hash when it lacks it, admits the job as it admits its own
 * (limits never above its own), queues it for the same worker pool, and answers with status
 * messages while it waits and the result (outcome, usage, output, receipt) when it ends. A job is
 * recorded with the peer that sent it and its id there, so a resent request finds it again.
 */
final class JobService {
  static final String PROTOCOL = "/plasm/job/1.0.0";

  /** Time to receive the request. */
  static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);

  /** A status message goes out this often while a job waits or runs, so no stream sits silent. */
  static final Duration STATUS_EVERY = Duration.ofSeconds(2);

  private final DaemonConfig config;
  private final Transport transport;
  private final JobStore store;
  private final ModuleStore modules;
  private final ModuleService moduleService;
  private final Intake intake;
  private final Log log;
  private final Map<String, AtomicInteger> activeByPeer = new ConcurrentHashMap<>();
  private final AtomicInteger active = new AtomicInteger();
  private final Map<String, Bucket> rates = new ConcurrentHashMap<>();
  private final RemoteMetrics metrics;
  private final JobRunner runner;

  JobService(
      DaemonConfig config,
      Transport transport,
      JobStore store,
      ModuleStore modules,
      ModuleService moduleService,
      Intake intake,
      JobRunner runner,
      Log log,
      RemoteMetrics metrics) {
    this.runner = runner;
    this.config = config;
    this.transport = transport;
    this.store = store;
    this.modules = modules;
    this.moduleService = moduleService;
    this.intake = intake;
    this.log = log;
    this.metrics = metrics;
  }

  /** Jobs from other peers queued or running here now. */
  int active() {
    return active.get();
  }

  /** A token bucket: one peer's submissions per minute. */
  private static final class Bucket {
    private final double perSecond;
    private final double capacity;
    private double tokens;
    private long last = System.nanoTime();

    Bucket(int perMinute) {
      this.capacity = perMinute;
      this.perSecond = perMinute / 60.0;
      this.tokens = perMinute;
    }

    synchronized long take() {
      long now = System.nanoTime();
      tokens = Math.min(capacity, tokens + (now - last) / 1e9 * perSecond);
      last = now;
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      return (long) Math.ceil((1 - tokens) / perSecond * 1000);
    }
  }

  void serve(PeerStream s) throws IOException, InterruptedException {
    String peer = s.peerId();
    JsonNode req =
        request(
            s,
            PROTOCOL,
            (int) Math.min(Integer.MAX_VALUE, config.api().maxJsonBody() + 4096),
            log,
            (why) -> refused(s, "bad-request", null, why, 0));
    if (req == null) {
      return;
    }
    if (!config.remote().admits(peer)) {
      refused(
          s,
          "not-allowed",
          null,
          config.remote().enabled()
              ? "this node does not run jobs for " + peer
              : "this node does not run jobs for other peers ([remote] enabled = false)",
          0);
      return;
    }
    String type = req.path("type").asString("");
    String jobId = req.path("jobId").asString("");
    if (!JobManifest.ID_CHARS.matcher(jobId).matches()) {
      refused(
          s, "bad-request", "jobId", "jobId must be 1-128 characters of A-Z a-z 0-9 . _ : -", 0);
      return;
    }
    JobRecord existing = store.byRequester(peer, jobId);
    switch (type) {
      case "attach" -> {
        if (existing == null) {
          refused(s, "unknown-job", "jobId", "this node has no job " + jobId + " from " + peer, 0);
          return;
        }
        follow(s, existing);
      }
      case "cancel" -> {
        if (existing == null) {
          refused(s, "unknown-job", "jobId", "this node has no job " + jobId + " from " + peer, 0);
          return;
        }
        // Ends it as a client's cancel here would; the requester's stream for the job gets its
        // result.
        if (!existing.terminal()) {
          runner.cancel(existing.id());
        }
        JobRecord now = store.get(existing.id());
        Frames.control(
            s.output(),
            Json.MAPPER
                .createObjectNode()
                .put("type", "cancelled")
                .put("jobId", existing.id())
                .put("state", now.state().id()));
      }
      case "run" -> {
        JobRecord r = existing != null ? existing : take(s, peer, jobId, req);
        if (r != null) {
          follow(s, r);
        }
      }
      default -> refused(s, "bad-request", "type", "type must be run, attach or cancel", 0);
    }
  }

  /** Sends a refusal of {@code code}, counted and logged (one line). */
  private void refused(
      PeerStream s, String code, String field, String message, long retryAfterMillis)
      throws IOException {
    metrics.refused(code);
    if (code.equals("bad-request")
        || code.equals("not-allowed")
        || code.equals("module-unavailable")) {
      log.warn("refused a peer's job", "peer", s.peerId(), "code", code, "why", message);
    } else {
      log.info("refused a peer's job", "peer", s.peerId(), "code", code, "why", message);
    }
    refuse(s.output(), code, field, message, retryAfterMillis);
  }

  /** What a reader of a malformed request tells its peer. */
  interface BadRequest {
    void refuse(String why) throws IOException;
  }

  /**
   * Reads the one request frame of a stream within {@link #REQUEST_TIMEOUT}: null when there is
   * none, after refusing a malformed one ({@code bad}) or dropping a stream that sent nothing in time,
   * each with one log line.
   */
  static JsonNode request(PeerStream s, String protocol, int cap, Log log, BadRequest bad)
      throws IOException {
    try (Deadlines.Deadline d = Deadlines.after(REQUEST_TIMEOUT, s::reset)) {
      try {
        Frames.Frame f = Frames.read(s.input(), cap);
        if (f == null) {
          if (d.expired()) {
            throw new EOFException("reset at the deadline");
          }
          return null; // opened and closed: nothing asked, nothing to answer
        }
        return f.json();
      } catch (IOException e) {
        if (d.expired()) {
          log.warn(
              "dropped a peer's stream that sent no request in time",
              "protocol",
              protocol,
              "peer",
              s.peerId(),
              "deadline",
              REQUEST_TIMEOUT.toSeconds() + "s");
          return null;
        }
        if (e instanceof ProtocolException || e instanceof EOFException) {
          bad.refuse(e.getMessage());
          return null;
        }
        throw e;
      }
    }
  }

  /** Takes a new job from {@code peer}; null when it was refused (the refusal has been sent). */
  private JobRecord take(PeerStream s, String peer, String jobId, JsonNode req) throws IOException {
    long wait =
        rates.computeIfAbsent(peer, p -> new Bucket(config.remote().perPeerPerMinute())).take();
    if (wait > 0) {
      refused(
          s,
          "busy",
          null,
          peer + " has sent more than " + config.remote().perPeerPerMinute() + " jobs a minute",
          wait);
      return null;
    }
    AtomicInteger mine = activeByPeer.computeIfAbsent(peer, p -> new AtomicInteger());
    if (active.get() >= config.remote().maxConcurrent()
        || mine.get() >= config.remote().perPeerConcurrent()) {
      refused(
          s,
          "busy",
          null,
          "this node is running as many jobs for other peers as it takes ("
              + (mine.get() >= config.remote().perPeerConcurrent()
                  ? config.remote().perPeerConcurrent() + " for one peer"
                  : config.remote().maxConcurrent())
              + ")",
          1000);
      return null;
    }
    JobManifest m;
    try {
      JsonNode mf = req.get("manifest");
      if (mf == null || !mf.isObject()) {
        throw new ManifestException(
            ManifestException.Problem.INVALID_VALUE, "manifest", "manifest must be a JSON object");
      }
      m = JobJson.manifest((ObjectNode) mf, JobJson.Source.PEER);
    } catch (ManifestException e) {
      refused(s, "bad-request", e.fieldOrNull(), e.getMessage(), 0);
      return null;
    }
    String sha = ((ModuleSource.ByHash) m.module()).sha256();
    long max =
        intake
            .admission()
            .policy()
            .caps()
            .getOrDefault(dev.plasm.api.Limit.MODULE_SIZE, config.limits().maxModuleBytes());
    String missing = modules.has(sha) ? null : fetchModule(peer, sha, max);
    if (missing != null) {
      refused(
          s,
          "module-unavailable",
          "module",
          "could not get module " + sha + " from " + peer + " or any provider: " + missing,
          0);
      return null;
    }
    byte[] stdin = m.stdin() instanceof StdinSource.Inline in ? in.bytes() : new byte[0];
    Determinism world = null;
    JsonNode w = req.get("determinism");
    if (w != null) {
      try {
        world =
            new Determinism(
                w.get("clockEpochMicros").asLong(),
                HexFormat.of().parseHex(w.get("randomSeed").asString()));
      } catch (RuntimeException e) {
        refused(
            s,
            "bad-request",
            "determinism",
            "determinism must be {clockEpochMicros, randomSeed: 64 hex digits}",
            0);
        return null;
      }
    }
    Intake.Accepted a;
    try {
      a =
          intake.accept(
              m, Files.size(modules.path(sha)), stdin, new JobRecord.Requester(peer, jobId), world);
    } catch (Intake.Refusal e) {
      String code =
          switch (e.kind()) {
            case BUSY -> "busy";
            case CONFLICT -> "bad-request";
            case INVALID ->
                e.field() != null
                        && e.field().startsWith("limits.")
                        && !e.field().equals("limits.fuel")
                    ? "limits-too-high"
                    : e.field() != null
                            && (e.field().equals("engine")
                                || e.field().equals("limits.fuel")
                                || e.field().equals("deterministic"))
                        ? "engine-missing"
                        : "bad-request";
          };
      refused(s, code, e.field(), e.getMessage(), e.kind() == Intake.Refusal.Kind.BUSY ? 1000 : 0);
      return null;
    }
    if (!a.existing()) {
      mine.incrementAndGet();
      active.incrementAndGet();
      metrics.accepted();
      store
          .whenDone(a.record().id())
          .whenComplete(
              (r, ex) -> {
                mine.decrementAndGet();
                active.decrementAndGet();
              });
    }
    return a.record();
  }

  /**
   * Fetches a module from the requester, else from any provider; null when the store has it, else
   * why not (what each peer asked did wrong, for the refusal and its log line).
   */
  private String fetchModule(String peer, String sha, long max) {
    StringBuilder why = new StringBuilder();
    try {
      moduleService.fetch(transport, peer, sha, max);
      return null;
    } catch (IOException | RuntimeException e) {
      why.append(e.getMessage());
    }
    try {
      for (PeerAddresses p : transport.findProviders(Offers.moduleKey(sha), 8)) {
        if (p.peerId().equals(peer) || p.peerId().equals(transport.peerId())) {
          continue;
        }
        try {
          moduleService.fetch(transport, p.peerId(), sha, max);
          return null;
        } catch (IOException | RuntimeException e) {
          why.append("; provider ").append(p.peerId()).append(": ").append(e.getMessage());
        }
      }
    } catch (RuntimeException e) {
      // No providers found: the job is refused.
    }
    return modules.has(sha) ? null : why.toString();
  }

  /** Answers with status messages until the job ends, then with its result. */
  private void follow(PeerStream s, JobRecord r) throws IOException, InterruptedException {
    OutputStream out = s.output();
    Frames.control(
        out, Json.MAPPER.createObjectNode().put("type", "accepted").put("jobId", r.id()));
    Instant start = Instant.now();
    Duration limit =
        r.plan().limits().timeout().plus(config.workers().killGrace()).plus(Duration.ofMinutes(1));
    var done = store.whenDone(r.id());
    while (true) {
      try {
        r = done.get(STATUS_EVERY.toMillis(), TimeUnit.MILLISECONDS);
        break;
      } catch (TimeoutException e) {
        if (Duration.between(start, Instant.now()).compareTo(limit) > 0) {
          // The job itself is bounded by its deadline; a stream never outlives it by much.
          refused(s, "timeout", null, "the job did not end within its deadline and grace", 0);
          return;
        }
        JobRecord now = store.get(r.id());
        Frames.control(
            out,
            Json.MAPPER
                .createObjectNode()
                .put("type", "status")
                .put("state", now.state().id())
                .put("elapsedMillis", Duration.between(start, Instant.now()).toMillis()));
      } catch (java.util.concurrent.ExecutionException e) {
        throw new IOException(e.getCause());
      }
    }
    sendResult(out, r);
    s.closeWrite();
  }

  private void sendResult(OutputStream out, JobRecord r) throws IOException {
    byte[] stdout = store.read(r.id(), JobStore.Part.STDOUT);
    byte[] stderr = store.read(r.id(), JobStore.Part.STDERR);
    ObjectNode h =
        Json.MAPPER
            .createObjectNode()
            .put("type", "result")
            .put("jobId", r.id())
            .put("state", r.state().id());
    if (r.outcome() != null) {
      h.set("outcome", JobJson.outcome(r.outcome()));
      h.set("usage", JobJson.usage(r.outcome().usage()));
    }
    if (r.reason() != null) {
      h.put("reason", r.reason());
    }
    h.putObject("engine")
        .put("id", r.plan().engine().id())
        .put("version", r.plan().engine().version());
    h.set("limits", JobJson.limits(r.plan().limits()));
    h.put("stdoutBytes", stdout.length).put("stderrBytes", stderr.length);
    byte[] receipt = r.receipt() ? store.read(r.id(), JobStore.Part.RECEIPT) : new byte[0];
    if (receipt.length > 0) {
      h.set("receipt", Json.MAPPER.readTree(receipt));
    }
    // The whole result in one write: one muxer frame when it fits, not one per part.
    ByteArrayOutputStream all = new ByteArrayOutputStream(stdout.length + stderr.length + 4096);
    Frames.control(all, h);
    Frames.data(all, Frames.STDOUT, stdout);
    Frames.data(all, Frames.STDERR, stderr);
    Frames.control(all, Json.MAPPER.createObjectNode().put("type", "end"));
    all.writeTo(out);
    out.flush();
  }

  /** Sends a refusal: {@code {"type": "refused", code, field?, message, retryAfterMillis?}}. */
  static void refuse(
      OutputStream out, String code, String field, String message, long retryAfterMillis)
      throws IOException {
    ObjectNode o =
        Json.MAPPER
            .createObjectNode()
            .put("type", "refused")
            .put("code", code)
            .put("message", message);
    if (field != null) {
      o.put("field", field);
    }
    if (retryAfterMillis > 0) {
      o.put("retryAfterMillis", retryAfterMillis);
    }
    Frames.control(out, o);
  }
}
