package dev.plasm.daemon;

import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.Limit;
import dev.plasm.api.ResourceLimits;
import dev.plasm.engine.spi.Determinism;
import dev.plasm.fixtures.Fixtures;
import dev.plasm.host.Admission;
import dev.plasm.host.EngineRegistry;
import dev.plasm.host.Job;
import dev.plasm.host.JobResult;
import dev.plasm.host.ReceiptIssuer;
import dev.plasm.host.ReceiptSchemes;
import dev.plasm.host.RunawayPolicy;
import dev.plasm.host.Sandbox;
import dev.plasm.host.StreamDigest;
import dev.plasm.identity.NodeIdentity;
import dev.plasm.job.JobJson;
import dev.plasm.job.JobManifest;
import dev.plasm.job.JobPlan;
import dev.plasm.receipt.spi.ReceiptCodec;
import dev.plasm.receipt.spi.ReceiptScheme;
import dev.plasm.transport.spi.DhtKey;
import dev.plasm.transport.spi.PeerStream;
import dev.plasm.transport.spi.Transport;
import dev.plasm.transport.spi.TransportLimits;
import dev.plasm.transport.spi.TransportSettings;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * A peer built in the test, not in the product: a libp2p node started through the transport SPI
 * with an identity of its own, which offers itself as an executor exactly as docs/remote.md says
 * (a signed offer under {@code /plasm/node/<peer id>}, provider records), serves {@code
 * /plasm/job/1.0.0} with the documented framing, fetches the job's module from the requester over
 * {@code /plasm/module/1.0.0}, really runs the job in this JVM (Admission, Sandbox, a chicory
 * engine) and signs a real receipt (ReceiptIssuer) — and then lies in the one way it was built to.
 * Every format here is written from the documents, so these peers also check the documents.
 */
final class FaultyPeer implements AutoCloseable {
  /** How the peer lies, and the requester's check that must catch it (null: no single check can). */
  enum Lie {
    /** Honest. */
    NONE(null),
    /** One byte of stdout flipped after signing. */
    TAMPERED_STDOUT("stdout"),
    /** The receipt signed by another node's key (a valid signature, by the wrong signer). */
    OTHER_KEY("signer"),
    /** A receipt for another nonce than the one sent. */
    WRONG_NONCE("nonce"),
    /** A receipt for another job id than the one the executor gave the job. */
    WRONG_JOB_ID("job-id"),
    /** The receipt and output of an earlier request, replayed for this one. */
    REPLAYED_RECEIPT("job-id"),
    /** Ran the job under other limits than sent (and says so in its signed receipt). */
    OTHER_LIMITS("limits"),
    /** Ran another module. */
    OTHER_MODULE("module"),
    /** Ran the module with other arguments. */
    OTHER_ARGS("inputs"),
    /** Reports another outcome than its receipt states. */
    MISREPORTED_OUTCOME("outcome"),
    /** Ran a deterministic job in another recorded world. */
    OTHER_WORLD("determinism"),
    /** Reports another engine than its receipt states. */
    OTHER_ENGINE("engine"),
    /** Announces more stdout than it sends. */
    SHORT_OUTPUT("protocol"),
    /** Signs a made-up stdout consistently: every check passes; only other nodes' answers can outvote it. */
    CONSISTENT(null);

    final String check;

    Lie(String check) {
      this.check = check;
    }
  }

  static final String JOB = "/plasm/job/1.0.0";
  static final String MODULE = "/plasm/module/1.0.0";

  private static EngineRegistry registry;

  final NodeIdentity identity;
  final Transport transport;
  final Lie lie;
  private final ReceiptScheme scheme = ReceiptSchemes.discover().require(ReceiptSchemes.DEFAULT);
  private final AtomicInteger jobs = new AtomicInteger();

  /** Requests it took: (requester, the requester's job id). */
  final List<String> taken = new CopyOnWriteArrayList<>();

  /** Modules it serves over /plasm/module/1.0.0, by the hash it claims for them. */
  final Map<String, byte[]> serving = new ConcurrentHashMap<>();

  /** Answers it sends as they are (any bytes at all) to a request for a module, by the hash asked for. */
  final Map<String, byte[]> rawModuleAnswers = new ConcurrentHashMap<>();

  private FaultyPeer(NodeIdentity identity, Transport transport, Lie lie) {
    this.identity = identity;
    this.transport = transport;
    this.lie = lie;
  }

  /** A libp2p node of the test's own, joined to the network through {@code bootstrap}. */
  static Transport transport(NodeIdentity identity, String bootstrap) {
    var provider =
        dev.plasm.host.Plugins.boot()
            .transports()
            .find("libp2p")
            .orElseThrow(() -> new AssertionError("no libp2p transport on the test path"))
            .provider();
    Transport t =
        provider.start(
            new TransportSettings(
                List.of("/ip4/127.0.0.1/tcp/0"),
                List.of(bootstrap),
                identity.privateKeySeed(),
                "plasm-tests/faulty-peer",
                TransportLimits.DEFAULTS));
    t.bootstrap();
    return t;
  }

  /** Starts a peer that lies as {@code lie}, serving the job protocol (not yet offered: see {@link #offer}). */
  static FaultyPeer start(String bootstrap, Lie lie) {
    NodeIdentity id = NodeIdentity.ephemeral();
    FaultyPeer p = new FaultyPeer(id, transport(id, bootstrap), lie);
    p.transport.setStreamHandler(JOB, p::serveJob);
    p.transport.setStreamHandler(MODULE, p::serveModule);
    return p;
  }

  String peerId() {
    return identity.peerId().toString();
  }

  private static synchronized EngineRegistry engines() {
    if (registry == null) {
      registry = EngineRegistry.discover();
    }
    return registry;
  }

  /**
   * Publishes a signed offer (docs/remote.md, "The offer") valid for {@code ttl}, claiming {@code
   * remoteFree} free places, and the provider records of an executor.
   */
  void offer(int remoteFree, Duration ttl) {
    Instant now = Instant.now().truncatedTo(ChronoUnit.SECONDS);
    ObjectNode o = DaemonProcess.JSON.createObjectNode();
    o.put("version", 1);
    o.put("peerId", peerId());
    transport.listenAddresses().forEach(o.putArray("addresses")::add);
    var engines = o.putArray("engines");
    for (var e : engines().engines()) {
      engines
          .addObject()
          .put("id", e.descriptor().id())
          .put("version", e.descriptor().version())
          .put("mode", "interpreter")
          .put("fuel", true)
          .put("deterministic", true);
    }
    ObjectNode limits = o.putObject("limits");
    for (Limit l : Limit.values()) {
      limits.put(l.jsonName(), l == Limit.FUEL ? 1L << 50 : l.max());
    }
    o.putObject("capacity")
        .put("executors", 4)
        .put("running", 0)
        .put("queued", 0)
        .put("queueCapacity", 64)
        .put("remoteFree", remoteFree);
    o.putArray("protocols").add(JOB).add(MODULE);
    o.put("issuedAt", now.toString());
    o.put("expiresAt", now.plus(ttl).toString());
    byte[] prefix = "plasm-node:v1:".getBytes(StandardCharsets.US_ASCII);
    byte[] body = PeerWire.canonical(o);
    byte[] message = new byte[prefix.length + body.length];
    System.arraycopy(prefix, 0, message, 0, prefix.length);
    System.arraycopy(body, 0, message, prefix.length, body.length);
    o.put("signature", Base64.getEncoder().encodeToString(identity.sign(message)));
    String value =
        String.format("%016x", now.toEpochMilli())
            + "\n"
            + DaemonProcess.JSON.writeValueAsString(o);
    transport.putValue(
        new DhtKey("/plasm/node/" + peerId()), value.getBytes(StandardCharsets.UTF_8));
    transport.provide(new DhtKey("/plasm/executor"));
    for (var e : engines().engines()) {
      transport.provide(new DhtKey("/plasm/engine/" + e.descriptor().id()));
    }
  }

  /** Serves {@code /plasm/module/1.0.0}: the bytes it was given for a hash, whatever they hash to. */
  private void serveModule(PeerStream s) throws IOException {
    JsonNode req = PeerWire.read(s.input(), 1024).json();
    String sha = req.path("sha256").asString("");
    byte[] bytes = serving.get(sha);
    OutputStream out = s.output();
    byte[] raw = rawModuleAnswers.get(sha);
    if (raw != null) {
      out.write(raw);
      out.flush();
    } else if (bytes == null) {
      PeerWire.control(
          out,
          DaemonProcess.JSON
              .createObjectNode()
              .put("type", "refused")
              .put("code", "module-unavailable")
              .put("message", "no module " + sha));
    } else {
      PeerWire.control(
          out,
          DaemonProcess.JSON
              .createObjectNode()
              .put("type", "module")
              .put("sha256", sha)
              .put("bytes", bytes.length));
      PeerWire.chunks(out, PeerWire.DATA, bytes);
      PeerWire.control(out, DaemonProcess.JSON.createObjectNode().put("type", "end"));
    }
    s.closeWrite();
  }

  /** Fetches a module by hash from {@code peer} and checks its bytes against the hash. */
  byte[] fetch(String peer, String sha) throws IOException {
    try (PeerStream s = transport.openStream(peer, MODULE)) {
      PeerWire.control(
          s.output(), DaemonProcess.JSON.createObjectNode().put("type", "get").put("sha256", sha));
      s.closeWrite();
      JsonNode head = PeerWire.read(s.input(), 1 << 20).json();
      if (!"module".equals(head.path("type").asString(""))) {
        throw new IOException(peer + " did not send module " + sha + ": " + head);
      }
      ByteArrayOutputStream b = new ByteArrayOutputStream();
      for (PeerWire.Frame f;
          (f = PeerWire.read(s.input(), PeerWire.CHUNK)) != null && f.type() == PeerWire.DATA; ) {
        b.writeBytes(f.payload());
      }
      byte[] bytes = b.toByteArray();
      if (bytes.length != head.path("bytes").asLong() || !sha256(bytes).equals(sha)) {
        throw new IOException(peer + " sent bytes that are not module " + sha);
      }
      return bytes;
    }
  }

  /** What one run produced: the plan it ran, its result, its output, its receipt. */
  private record Run(
      JobPlan plan, JobResult result, byte[] stdout, byte[] stderr, ObjectNode receipt) {}

  private Run run(
      JobPlan plan,
      byte[] module,
      byte[] stdin,
      Determinism world,
      String jobId,
      NodeIdentity signer) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    JobResult result =
        new Sandbox(engines(), RunawayPolicy.ABANDON_THREAD)
            .execute(
                new Job(plan, module, new ByteArrayInputStream(stdin), out, err, List.of(), world));
    return sign(plan, result, out.toByteArray(), err.toByteArray(), world, jobId, signer);
  }

  private Run sign(
      JobPlan plan,
      JobResult result,
      byte[] stdout,
      byte[] stderr,
      Determinism world,
      String jobId,
      NodeIdentity signer) {
    var receipt = ReceiptIssuer.issue(plan, world, result, jobId, signer, scheme);
    return new Run(
        plan,
        result,
        stdout,
        stderr,
        (ObjectNode) DaemonProcess.JSON.readTree(ReceiptCodec.toJson(receipt)));
  }

  /** Serves {@code /plasm/job/1.0.0}: takes the job, runs it, answers with a result that lies as built to. */
  private void serveJob(PeerStream s) throws IOException {
    JsonNode req = PeerWire.read(s.input(), 1 << 20).json();
    OutputStream out = s.output();
    if (!"run".equals(req.path("type").asString(""))) {
      PeerWire.control(
          out,
          DaemonProcess.JSON
              .createObjectNode()
              .put("type", "refused")
              .put("code", "unknown-job")
              .put("message", "this peer keeps nothing"));
      return;
    }
    taken.add(s.peerId() + " " + req.path("jobId").asString());
    JobManifest m = JobJson.manifest((ObjectNode) req.get("manifest"), JobJson.Source.PEER);
    String sha = ((JobManifest.ModuleSource.ByHash) m.module()).sha256();
    byte[] module = fetch(s.peerId(), sha);
    byte[] stdin =
        m.stdin() instanceof JobManifest.StdinSource.Inline in ? in.bytes() : new byte[0];
    JsonNode w = req.get("determinism");
    Determinism world =
        w == null
            ? null
            : new Determinism(
                w.get("clockEpochMicros").asLong(),
                HexFormat.of().parseHex(w.get("randomSeed").asString()));
    String id = "faulty-" + jobs.incrementAndGet();
    PeerWire.control(
        out, DaemonProcess.JSON.createObjectNode().put("type", "accepted").put("jobId", id));
    PeerWire.control(
        out,
        DaemonProcess.JSON
            .createObjectNode()
            .put("type", "status")
            .put("state", "running")
            .put("elapsedMillis", 0));

    JobPlan plan =
        new Admission(engines(), Admission.Policy.local(ResourceLimits.DEFAULTS))
            .admit(
                m,
                new Admission.ModuleInfo(sha, module.length),
                sha.substring(0, 12) + ".wasm",
                stdin.length);
    NodeIdentity signer = identity;
    Run r =
        switch (lie) {
          case NONE, TAMPERED_STDOUT, MISREPORTED_OUTCOME, OTHER_ENGINE, SHORT_OUTPUT ->
              run(plan, module, stdin, world, id, signer);
          case OTHER_KEY -> run(plan, module, stdin, world, id, NodeIdentity.ephemeral());
          case WRONG_NONCE ->
              run(withNonce(plan, "not-" + plan.nonce()), module, stdin, world, id, signer);
          case WRONG_JOB_ID -> run(plan, module, stdin, world, id + "-other", signer);
          case REPLAYED_RECEIPT ->
              run(withNonce(plan, "an-earlier-request"), module, stdin, world, "faulty-0", signer);
          case OTHER_LIMITS ->
              run(
                  new JobPlan(
                      plan.moduleSha256(),
                      plan.moduleBytes(),
                      plan.programName(),
                      plan.args(),
                      plan.env(),
                      plan.stdinBytes(),
                      plan.engine(),
                      plan.limits().with(Limit.MEMORY, plan.limits().maxMemoryBytes() / 2),
                      plan.deterministic(),
                      plan.nonce()),
                  module,
                  stdin,
                  world,
                  id,
                  signer);
          case OTHER_MODULE -> {
            byte[] other = Fixtures.bytes("exit-code");
            yield run(
                new JobPlan(
                    sha256(other),
                    other.length,
                    plan.programName(),
                    plan.args(),
                    plan.env(),
                    plan.stdinBytes(),
                    plan.engine(),
                    plan.limits(),
                    plan.deterministic(),
                    plan.nonce()),
                other,
                stdin,
                world,
                id,
                signer);
          }
          case OTHER_ARGS ->
              run(
                  new JobPlan(
                      plan.moduleSha256(),
                      plan.moduleBytes(),
                      plan.programName(),
                      List.of("made", "up"),
                      plan.env(),
                      plan.stdinBytes(),
                      plan.engine(),
                      plan.limits(),
                      plan.deterministic(),
                      plan.nonce()),
                  module,
                  stdin,
                  world,
                  id,
                  signer);
          case OTHER_WORLD ->
              run(
                  plan,
                  module,
                  stdin,
                  world == null
                      ? null
                      : new Determinism(world.clockEpochMicros() + 1, world.randomSeed()),
                  id,
                  signer);
          case CONSISTENT -> {
            Run honest = run(plan, module, stdin, world, id, signer);
            byte[] madeUp = "Hello from a liar!\n".getBytes(StandardCharsets.UTF_8);
            JobResult h = honest.result();
            yield sign(
                plan,
                new JobResult(
                    h.outcome(),
                    h.engine(),
                    h.module(),
                    h.stdin(),
                    StreamDigest.of(madeUp),
                    h.stderr(),
                    h.startedAt(),
                    h.finishedAt()),
                madeUp,
                honest.stderr(),
                world,
                id,
                signer);
          }
        };

    ExecutionOutcome outcome = r.result().outcome();
    ObjectNode head =
        DaemonProcess.JSON
            .createObjectNode()
            .put("type", "result")
            .put("jobId", id)
            .put("state", "finished");
    head.set(
        "outcome",
        lie == Lie.MISREPORTED_OUTCOME
            ? JobJson.outcome(new ExecutionOutcome.Completed(3, outcome.usage()))
            : JobJson.outcome(outcome));
    head.set("usage", JobJson.usage(outcome.usage()));
    head.putObject("engine")
        .put("id", r.plan().engine().id())
        .put(
            "version",
            lie == Lie.OTHER_ENGINE
                ? "0.0.0-" + r.plan().engine().version()
                : r.plan().engine().version());
    head.set("limits", JobJson.limits(r.plan().limits()));
    byte[] stdout = r.stdout().clone();
    if (lie == Lie.TAMPERED_STDOUT) {
      stdout[0] ^= 0x20;
    }
    head.put("stdoutBytes", stdout.length + (lie == Lie.SHORT_OUTPUT ? 5 : 0))
        .put("stderrBytes", r.stderr().length);
    head.set("receipt", r.receipt());
    PeerWire.control(out, head);
    PeerWire.chunks(out, PeerWire.STDOUT, stdout);
    PeerWire.chunks(out, PeerWire.STDERR, r.stderr());
    PeerWire.control(out, DaemonProcess.JSON.createObjectNode().put("type", "end"));
    s.closeWrite();
  }

  private static JobPlan withNonce(JobPlan p, String nonce) {
    return new JobPlan(
        p.moduleSha256(),
        p.moduleBytes(),
        p.programName(),
        p.args(),
        p.env(),
        p.stdinBytes(),
        p.engine(),
        p.limits(),
        p.deterministic(),
        nonce);
  }

  static String sha256(byte[] b) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    } catch (java.security.NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }

  @Override
  public void close() {
    transport.close();
  }
}
