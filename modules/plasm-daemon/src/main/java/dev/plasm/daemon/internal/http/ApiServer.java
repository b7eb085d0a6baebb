package dev.plasm.daemon.internal.http;

import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.plasm.api.ConfigurationException;
import dev.plasm.api.Limit;
import dev.plasm.api.ResourceLimits;
import dev.plasm.daemon.DaemonConfig;
import dev.plasm.daemon.internal.exec.JobRunner;
import dev.plasm.daemon.internal.exec.Metrics;
import dev.plasm.daemon.internal.log.Log;
import dev.plasm.daemon.internal.store.AtomicFiles;
import dev.plasm.daemon.internal.store.JobRecord;
import dev.plasm.daemon.internal.store.JobStore;
import dev.plasm.daemon.internal.store.Json;
import dev.plasm.daemon.internal.store.ModuleStore;
import dev.plasm.engine.spi.EngineDescriptor;
import dev.plasm.host.EngineInfo;
import dev.plasm.host.EngineRegistry;
import dev.plasm.identity.NodeIdentity;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.time.Instant;
import java.util.Base64;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import tools.jackson.core.JacksonException;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.core.exc.StreamReadException;
import tools.jackson.databind.DatabindException;
import tools.jackson.databind.exc.UnrecognizedPropertyException;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The HTTP API (docs/http-api.md) on the JDK's {@code com.sun.net.httpserver}: no dependency, and
 * with a virtual-thread executor a slow or idle client holds only a cheap virtual thread (never an
 * executor or a worker), while the JDK's own request and response timers
 * ({@code sun.net.httpserver.maxReqTime}/{@code maxRspTime}, set from {@code api.request-timeout})
 * close connections that dawdle.
 *
 * <p>Every request is checked in this order: Host header (DNS rebinding), bearer token (all paths
 * but {@code /healthz}), route and method, body size (from Content-Length before reading, then while
 * reading), strict JSON.
 */
public final class ApiServer {
  private static final Pattern JOB_PATH = Pattern.compile("/v1/jobs/([^/]+)(/(wait|stdout|stderr|receipt|cancel))?");
  private static final Pattern MODULE_PATH = Pattern.compile("/v1/modules/([^/]+)");
  private static final Pattern ID_CHARS = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  private static final byte[] WASM_MAGIC = {0, 'a', 's', 'm'};

  private final DaemonConfig config;
  private final JobStore store;
  private final ModuleStore modules;
  private final JobRunner runner;
  private final Metrics metrics;
  private final EngineRegistry registry;
  private final NodeIdentity identity;
  private final byte[] tokenHash;
  private final Log log;
  private final String version;
  private final P2pRoutes p2pRoutes = new P2pRoutes();
  private HttpServer server;
  private ExecutorService executor;
  private Set<String> allowedHosts;
  private boolean anyHost;

  public ApiServer(DaemonConfig config, JobStore store, ModuleStore modules, JobRunner runner, Metrics metrics,
      EngineRegistry registry, NodeIdentity identity, String token, Log log, String version) {
    this.config = config;
    this.store = store;
    this.modules = modules;
    this.runner = runner;
    this.metrics = metrics;
    this.registry = registry;
    this.identity = identity;
    this.tokenHash = sha256(token.getBytes(StandardCharsets.UTF_8));
    this.log = log;
    this.version = version;
  }

  /** The peer-to-peer node the p2p endpoints use; null (the default) when p2p is off. */
  public void p2p(dev.plasm.daemon.internal.p2p.P2pNode node) {
    p2pRoutes.node(node);
  }

  /** Binds and starts serving; returns the bound address. */
  public InetSocketAddress start() throws IOException {
    InetSocketAddress bind = new InetSocketAddress(InetAddress.getByName(config.listenHost()), config.listenPort());
    server = HttpServer.create(bind, 128);
    executor = Executors.newVirtualThreadPerTaskExecutor();
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
    InetSocketAddress bound = server.getAddress();
    int port = bound.getPort();
    allowedHosts = new HashSet<>();
    InetAddress a = bound.getAddress();
    anyHost = a.isAnyLocalAddress();
    allowedHosts.add(hostPort(config.listenHost(), port));
    allowedHosts.add(hostPort(a.getHostAddress(), port));
    if (a.isLoopbackAddress() || anyHost) {
      allowedHosts.add("localhost:" + port);
      allowedHosts.add("127.0.0.1:" + port);
      allowedHosts.add("[::1]:" + port);
    }
    if (port == 80) {
      for (String h : List.copyOf(allowedHosts)) {
        allowedHosts.add(h.substring(0, h.lastIndexOf(':')));
      }
    }
    return bound;
  }

  private static String hostPort(String host, int port) {
    return (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host).toLowerCase(java.util.Locale.ROOT) + ":" + port;
  }

  public void stop(int delaySeconds) {
    if (server != null) {
      server.stop(delaySeconds);
    }
    if (executor != null) {
      executor.shutdownNow();
    }
  }

  private void handle(HttpExchange ex) {
    try (ex) {
      try {
        route(ex);
      } catch (ApiException e) {
        sendError(ex, e);
      } catch (AtomicFiles.TooLargeException e) {
        sendError(ex, new ApiException(413, "payload-too-large", null, "the body is larger than " + e.max() + " bytes"));
      } catch (IOException e) {
        // The client went away or sent a broken body; nothing more to say to it.
        log.warn("request failed", "path", ex.getRequestURI().getRawPath(), "error", e.toString());
      } catch (RuntimeException e) {
        log.error("internal error", "path", ex.getRequestURI().getRawPath(), "error", e.toString());
        sendError(ex, new ApiException(500, "internal", null, "internal error: " + e));
      }
    }
  }

  private void route(HttpExchange ex) throws IOException {
    String path = ex.getRequestURI().getRawPath();
    String method = ex.getRequestMethod();
    checkHost(ex);
    if (path.equals("/healthz")) {
      allow(method, "GET", "HEAD");
      sendJson(ex, 200, Json.MAPPER.createObjectNode().put("status", "ok"));
      return;
    }
    checkToken(ex);
    if (path.equals("/metrics")) {
      allow(method, "GET");
      sendBytes(ex, 200, "text/plain; version=0.0.4; charset=utf-8", metrics.render().getBytes(StandardCharsets.UTF_8));
      return;
    }
    if (path.equals("/v1/node")) {
      allow(method, "GET");
      sendJson(ex, 200, node());
      return;
    }
    if (path.equals("/v1/modules")) {
      allow(method, "POST");
      uploadModule(ex);
      return;
    }
    var mm = MODULE_PATH.matcher(path);
    if (mm.matches()) {
      allow(method, "GET", "HEAD");
      getModule(ex, mm.group(1), method.equals("HEAD"));
      return;
    }
    if (path.equals("/v1/jobs")) {
      allow(method, "GET", "POST");
      if (method.equals("POST")) {
        submit(ex);
      } else {
        listJobs(ex);
      }
      return;
    }
    var jm = JOB_PATH.matcher(path);
    if (jm.matches()) {
      String id = jm.group(1);
      String sub = jm.group(3);
      allow(method, "cancel".equals(sub) ? new String[] {"POST"} : new String[] {"GET"});
      JobRecord r = job(id);
      switch (sub == null ? "" : sub) {
        case "" -> sendJson(ex, 200, view(r));
        case "wait" -> waitFor(ex, r);
        case "stdout" -> sendOutput(ex, id, JobStore.STDOUT);
        case "stderr" -> sendOutput(ex, id, JobStore.STDERR);
        case "receipt" -> sendFile(ex, store.dir(id).resolve(JobStore.RECEIPT), "application/json",
            r.terminal() ? "the job has no receipt: " + (r.reason() == null ? "it did not run to an outcome" : r.reason())
                : "the job has not finished yet");
        case "cancel" -> cancel(ex, id);
        default -> throw new AssertionError(sub);
      }
      return;
    }
    if (p2pRoutes.handle(ex, path, method)) {
      return;
    }
    throw ApiException.notFound(null, "no such endpoint: " + path + " (see docs/http-api.md)");
  }

  // ---- checks

  private void checkHost(HttpExchange ex) {
    String host = ex.getRequestHeaders().getFirst("Host");
    if (host == null) {
      throw new ApiException(400, "bad-host", "Host", "the request has no Host header");
    }
    String h = host.strip().toLowerCase(java.util.Locale.ROOT);
    if (allowedHosts.contains(h)) {
      return;
    }
    if (anyHost) {
      // Bound to every address: accept IP literals with our port (never a DNS name that could rebind).
      int colon = h.lastIndexOf(':');
      String name = colon > 0 ? h.substring(0, colon) : h;
      if (name.matches("[0-9.]+|\\[[0-9a-f:.]+]") && h.endsWith(":" + server.getAddress().getPort())) {
        return;
      }
    }
    throw new ApiException(421, "bad-host", "Host",
        "the Host header '" + host + "' is not this daemon's address; use " + allowedHosts.iterator().next());
  }

  private void checkToken(HttpExchange ex) {
    String auth = ex.getRequestHeaders().getFirst("Authorization");
    byte[] given = auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)
        ? auth.substring(7).strip().getBytes(StandardCharsets.UTF_8) : new byte[0];
    // Hashing first makes the comparison constant-time in the token's length as well as its content.
    if (!MessageDigest.isEqual(sha256(given), tokenHash) || given.length == 0) {
      throw new ApiException(401, "unauthorized", "Authorization",
          "a bearer token is required: send 'Authorization: Bearer TOKEN' with the token in the daemon's state directory (file 'token')",
          Map.of("WWW-Authenticate", "Bearer realm=\"plasm\""));
    }
  }

  static void allow(String method, String... allowed) {
    for (String a : allowed) {
      if (a.equals(method)) {
        return;
      }
    }
    throw new ApiException(405, "method-not-allowed", null, method + " is not allowed here; use " + String.join(" or ", allowed),
        Map.of("Allow", String.join(", ", allowed)));
  }

  private JobRecord job(String id) {
    if (!JobStore.ID.matcher(id).matches()) {
      throw ApiException.notFound("id", "no job '" + id + "' (job ids look like 019abc12d3e4-0123456789abcdef)");
    }
    JobRecord r = store.get(id);
    if (r == null) {
      throw ApiException.notFound("id", "no job " + id);
    }
    return r;
  }

  /** Reads a body of at most {@code max} bytes: refused from its Content-Length before reading. */
  static byte[] body(HttpExchange ex, long max) throws IOException {
    long declared = contentLength(ex);
    if (declared > max) {
      throw new ApiException(413, "payload-too-large", null, "the body is " + declared + " bytes; at most " + max + " are accepted");
    }
    InputStream in = ex.getRequestBody();
    ByteArrayOutputStream out = new ByteArrayOutputStream((int) Math.min(Math.max(declared, 0), 1 << 16));
    byte[] buf = new byte[16384];
    long n = 0;
    int r;
    while ((r = in.read(buf)) > 0) {
      n += r;
      if (n > max) {
        throw new ApiException(413, "payload-too-large", null, "the body is over " + max + " bytes");
      }
      out.write(buf, 0, r);
    }
    return out.toByteArray();
  }

  private static long contentLength(HttpExchange ex) {
    String cl = ex.getRequestHeaders().getFirst("Content-Length");
    if (cl == null) {
      return -1;
    }
    try {
      return Long.parseLong(cl.strip());
    } catch (NumberFormatException e) {
      throw ApiException.badRequest("bad-request", "Content-Length", "Content-Length '" + cl + "' is not a number");
    }
  }

  private static <T> T parse(byte[] body, Class<T> type) {
    if (body.length == 0) {
      throw ApiException.badRequest("invalid-json", null, "the body is empty; send a JSON object");
    }
    // Syntax, duplicates, depth and trailing data first (on the tree), then the fields.
    tools.jackson.databind.JsonNode tree;
    try {
      tree = Json.MAPPER.readTree(body);
    } catch (StreamConstraintsException e) {
      throw ApiException.badRequest("too-complex", null, "the JSON is nested too deeply or too large: " + e.getOriginalMessage());
    } catch (StreamReadException e) {
      String m = e.getOriginalMessage();
      if (m != null && m.startsWith("Duplicate")) {
        throw ApiException.badRequest("duplicate-key", null, "duplicate key: " + m);
      }
      throw ApiException.badRequest("invalid-json", null, "not valid JSON: " + m);
    } catch (JacksonException e) {
      throw ApiException.badRequest("invalid-json", null, "not valid JSON: " + e.getOriginalMessage());
    }
    if (tree == null || !tree.isObject()) {
      throw ApiException.badRequest("invalid-json", null, "the body must be a JSON object");
    }
    try {
      return Json.MAPPER.treeToValue(tree, type);
    } catch (UnrecognizedPropertyException e) {
      throw ApiException.badRequest("unknown-field", path(e), "unknown field '" + path(e) + "'");
    } catch (DatabindException e) {
      String p = path(e);
      throw ApiException.badRequest("invalid-value", p.isEmpty() ? null : p,
          (p.isEmpty() ? "the body" : "'" + p + "'") + " has the wrong type or value: " + e.getOriginalMessage());
    } catch (JacksonException e) {
      throw ApiException.badRequest("invalid-json", null, "not valid JSON: " + e.getOriginalMessage());
    }
  }

  private static String path(DatabindException e) {
    StringBuilder b = new StringBuilder();
    for (var ref : e.getPath()) {
      if (ref.getPropertyName() != null) {
        if (!b.isEmpty()) {
          b.append('.');
        }
        b.append(ref.getPropertyName());
      } else if (ref.getIndex() >= 0) {
        b.append('[').append(ref.getIndex()).append(']');
      }
    }
    return b.toString();
  }

  static Map<String, String> query(HttpExchange ex) {
    Map<String, String> q = new LinkedHashMap<>();
    String raw = ex.getRequestURI().getRawQuery();
    if (raw == null || raw.isEmpty()) {
      return q;
    }
    for (String part : raw.split("&")) {
      int eq = part.indexOf('=');
      String k = URLDecoder.decode(eq < 0 ? part : part.substring(0, eq), StandardCharsets.UTF_8);
      String v = eq < 0 ? "" : URLDecoder.decode(part.substring(eq + 1), StandardCharsets.UTF_8);
      if (q.put(k, v) != null) {
        throw ApiException.badRequest("invalid-value", k, "query parameter '" + k + "' is given twice");
      }
    }
    return q;
  }

  static void onlyParams(Map<String, String> q, Set<String> allowed) {
    for (String k : q.keySet()) {
      if (!allowed.contains(k)) {
        throw ApiException.badRequest("unknown-field", k, "unknown query parameter '" + k + "'");
      }
    }
  }

  // ---- endpoints

  private ObjectNode node() {
    ObjectNode n = Json.MAPPER.createObjectNode();
    n.put("version", version);
    n.put("peerId", identity.peerId().toString());
    n.put("publicKey", identity.publicKeyBase64());
    ArrayNode engines = n.putArray("engines");
    for (EngineInfo e : registry.engines()) {
      EngineDescriptor d = e.descriptor();
      ObjectNode o = engines.addObject();
      o.put("id", d.id());
      o.put("version", d.version());
      o.put("mode", d.mode().toString().toLowerCase(java.util.Locale.ROOT).replace('_', '-'));
      ArrayNode lim = o.putArray("enforcedLimits");
      for (Limit l : Limit.values()) {
        if (d.enforces(l)) {
          lim.add(l.id());
        }
      }
    }
    n.set("limits", Json.MAPPER.valueToTree(JobRecord.Limits.of(config.limits())));
    ObjectNode q = n.putObject("queue");
    q.put("depth", runner.queueDepth());
    q.put("capacity", config.queueCapacity());
    q.put("running", runner.running());
    q.put("concurrency", config.concurrency());
    ObjectNode w = n.putObject("workers");
    w.put("warm", config.pool().warm());
    w.put("alive", runner.workersAlive());
    w.put("maxJobs", config.pool().maxJobs());
    w.put("maxRssBytes", config.effectiveMaxRss());
    w.put("moduleCache", config.pool().moduleCache());
    n.set("p2p", p2pRoutes.summary());
    return n;
  }

  private void uploadModule(HttpExchange ex) throws IOException {
    long max = config.limits().maxModuleBytes();
    long declared = contentLength(ex);
    if (declared > max) {
      throw new ApiException(413, "payload-too-large", null,
          "the module is " + declared + " bytes; this node accepts modules of at most " + max + " bytes (limits.module-size)");
    }
    InputStream in = new java.io.BufferedInputStream(ex.getRequestBody());
    in.mark(4);
    byte[] head = in.readNBytes(4);
    in.reset();
    if (!java.util.Arrays.equals(head, WASM_MAGIC)) {
      throw ApiException.badRequest("not-wasm", null, "the body is not a WebAssembly binary (it must start with \\0asm)");
    }
    ModuleStore.Stored s = modules.put(in, max);
    ObjectNode o = Json.MAPPER.createObjectNode().put("sha256", s.sha256()).put("bytes", s.bytes());
    ex.getResponseHeaders().set("Location", "/v1/modules/" + s.sha256());
    sendJson(ex, s.created() ? 201 : 200, o);
  }

  private void getModule(HttpExchange ex, String sha, boolean head) throws IOException {
    if (!ModuleStore.SHA256.matcher(sha).matches()) {
      throw ApiException.badRequest("invalid-value", "sha256", "'" + sha + "' is not a sha256 (64 lower-case hex digits)");
    }
    if (!modules.has(sha)) {
      throw ApiException.notFound("sha256", "no module " + sha + " on this node; upload it with POST /v1/modules");
    }
    Path p = modules.path(sha);
    if (head) {
      ex.getResponseHeaders().set("Content-Type", "application/wasm");
      ex.sendResponseHeaders(200, -1);
      return;
    }
    sendFile(ex, p, "application/wasm", null);
  }

  private void submit(HttpExchange ex) throws IOException {
    Map<String, String> q = query(ex);
    onlyParams(q, Set.of("wait"));
    // ?wait=D answers when the job ends (or after D) with its final state: one round trip for short jobs.
    Duration wait = waitParam(q, "wait", Duration.ZERO);
    SubmitRequest req = parse(body(ex, config.maxJsonBody()), SubmitRequest.class);
    // Module: by hash, or inline.
    if ((req.module() == null) == (req.moduleBase64() == null)) {
      throw ApiException.invalid("module", "give exactly one of 'module' (the sha256 of an uploaded module) and 'moduleBase64'");
    }
    ResourceLimits limits = limits(req.limits());
    String sha;
    long moduleBytes;
    if (req.module() != null) {
      sha = req.module();
      if (!ModuleStore.SHA256.matcher(sha).matches()) {
        throw ApiException.invalid("module", "'" + sha + "' is not a sha256 (64 lower-case hex digits)");
      }
      if (!modules.has(sha)) {
        throw ApiException.notFound("module", "no module " + sha + " on this node; upload it with POST /v1/modules");
      }
      moduleBytes = Files.size(modules.path(sha));
    } else {
      byte[] bytes = base64("moduleBase64", req.moduleBase64());
      if (bytes.length > limits.maxModuleBytes()) {
        throw new ApiException(413, "payload-too-large", "moduleBase64",
            "the module is " + bytes.length + " bytes, over the " + limits.maxModuleBytes() + "-byte module size limit");
      }
      if (bytes.length < 4 || !java.util.Arrays.equals(bytes, 0, 4, WASM_MAGIC, 0, 4)) {
        throw ApiException.badRequest("not-wasm", "moduleBase64", "the module is not a WebAssembly binary (it must start with \\0asm)");
      }
      ModuleStore.Stored s = modules.put(bytes);
      sha = s.sha256();
      moduleBytes = s.bytes();
    }
    if (moduleBytes > limits.maxModuleBytes()) {
      throw ApiException.invalid("limits.maxModuleBytes",
          "the module is " + moduleBytes + " bytes, over the job's " + limits.maxModuleBytes() + "-byte module size limit");
    }
    String programName = req.programName() == null ? sha.substring(0, 12) + ".wasm" : req.programName();
    if (programName.isEmpty() || programName.length() > 255 || programName.indexOf('\0') >= 0) {
      throw ApiException.invalid("programName", "programName must be 1-255 characters without NUL");
    }
    List<String> args = req.args() == null ? List.of() : req.args();
    if (args.size() > 4096) {
      throw ApiException.invalid("args", "at most 4096 arguments");
    }
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i) == null || args.get(i).indexOf('\0') >= 0) {
        throw ApiException.invalid("args[" + i + "]", "arguments must be strings without NUL");
      }
    }
    Map<String, String> env = req.env() == null ? Map.of() : req.env();
    if (env.size() > 4096) {
      throw ApiException.invalid("env", "at most 4096 variables");
    }
    for (var e : env.entrySet()) {
      if (e.getKey().isEmpty() || e.getKey().indexOf('=') >= 0 || e.getKey().indexOf('\0') >= 0) {
        throw ApiException.invalid("env", "variable name '" + e.getKey() + "' must be non-empty, without '=' or NUL");
      }
      if (e.getValue() == null || e.getValue().indexOf('\0') >= 0) {
        throw ApiException.invalid("env." + e.getKey(), "the value must be a string without NUL");
      }
    }
    byte[] stdin = req.stdinBase64() == null ? new byte[0] : base64("stdinBase64", req.stdinBase64());
    String engine = req.engine() == null ? EngineRegistry.AUTO : req.engine();
    boolean deterministic = Boolean.TRUE.equals(req.deterministic());
    checkEngine(engine, limits, deterministic, moduleBytes);
    if (req.nonce() != null && !ID_CHARS.matcher(req.nonce()).matches()) {
      throw ApiException.invalid("nonce", "nonce must be 1-128 characters of A-Z a-z 0-9 . _ : -");
    }
    String key = req.idempotencyKey();
    if (key != null && !ID_CHARS.matcher(key).matches()) {
      throw ApiException.invalid("idempotencyKey", "idempotencyKey must be 1-128 characters of A-Z a-z 0-9 . _ : -");
    }
    JobRecord.Limits lim = JobRecord.Limits.of(limits);
    String requestSha = requestHash(sha, programName, args, env, stdin, lim, engine, req.nonce(), deterministic);

    // Submissions with the same idempotency key are serialized (the second must see the first);
    // all others run in parallel, disk writes included.
    JobRecord r;
    synchronized (key == null ? new Object() : idempotencyLock(key)) {
      if (key != null) {
        JobRecord existing = store.byIdempotencyKey(key);
        if (existing != null) {
          if (!existing.requestSha256().equals(requestSha)) {
            throw new ApiException(409, "idempotency-conflict", "idempotencyKey",
                "idempotencyKey '" + key + "' was used for job " + existing.id() + " with a different request");
          }
          ex.getResponseHeaders().set("Location", "/v1/jobs/" + existing.id());
          sendJson(ex, 200, view(existing));
          return;
        }
      }
      if (!runner.reserve()) {
        metrics.queueFull();
        throw new ApiException(429, "queue-full", null,
            "the queue is full (" + config.queueCapacity() + " jobs waiting); retry later",
            Map.of("Retry-After", "1"));
      }
      try {
        r = new JobRecord(store.newId(), JobRecord.QUEUED, Instant.now().toString(), null, null, sha, moduleBytes,
            programName, args, env, stdin.length, lim, engine, req.nonce(), deterministic, key, requestSha,
            null, null, null, null, false);
        store.create(r, stdin);
      } catch (IOException | RuntimeException e) {
        runner.unreserve();
        throw e;
      }
    }
    runner.enqueue(r.id());
    metrics.submitted();
    log.info("job accepted", "job", r.id(), "module", sha, "engine", engine);
    ex.getResponseHeaders().set("Location", "/v1/jobs/" + r.id());
    JobRecord now = awaitEnd(r, wait);
    sendJson(ex, 202, view(now == null ? r : now));
  }

  private final Object[] idempotencyLocks = newLocks(64);

  private static Object[] newLocks(int n) {
    Object[] locks = new Object[n];
    for (int i = 0; i < n; i++) {
      locks[i] = new Object();
    }
    return locks;
  }

  /** The lock for an idempotency key: striped, so memory stays bounded however many keys come. */
  private Object idempotencyLock(String key) {
    return idempotencyLocks[Math.floorMod(key.hashCode(), idempotencyLocks.length)];
  }

  private ResourceLimits limits(SubmitRequest.LimitsRequest l) {
    ResourceLimits node = config.limits();
    if (l == null) {
      return node;
    }
    long mem = cap("limits.maxMemoryBytes", l.maxMemoryBytes(), node.maxMemoryBytes());
    long tab = cap("limits.maxTableElements", l.maxTableElements(), node.maxTableElements());
    long timeout = cap("limits.timeoutMillis", l.timeoutMillis(), node.timeout().toMillis());
    long out = cap("limits.maxOutputBytes", l.maxOutputBytes(), node.maxOutputBytes());
    long mod = cap("limits.maxModuleBytes", l.maxModuleBytes(), node.maxModuleBytes());
    java.util.OptionalLong fuel = node.fuel();
    if (l.fuel() != null) {
      fuel = java.util.OptionalLong.of(node.fuel().isPresent()
          ? cap("limits.fuel", l.fuel(), node.fuel().getAsLong()) : l.fuel());
    }
    try {
      return new ResourceLimits(mem, tab, Duration.ofMillis(timeout), fuel, out, mod);
    } catch (ConfigurationException e) {
      String field = switch (e.field()) {
        case "--max-memory" -> "limits.maxMemoryBytes";
        case "--max-table-elements" -> "limits.maxTableElements";
        case "--timeout" -> "limits.timeoutMillis";
        case "--fuel" -> "limits.fuel";
        case "--max-output" -> "limits.maxOutputBytes";
        case "--max-module-size" -> "limits.maxModuleBytes";
        default -> "limits";
      };
      String m = e.getMessage();
      throw ApiException.invalid(field, field + (m.startsWith(e.field()) ? m.substring(e.field().length()) : ": " + m));
    }
  }

  private static long cap(String field, Long asked, long nodeMax) {
    if (asked == null) {
      return nodeMax;
    }
    if (asked < 0) {
      throw ApiException.invalid(field, field + ": " + asked + " must not be negative");
    }
    if (asked > nodeMax) {
      throw ApiException.invalid(field, field + ": " + asked + " is over this node's limit of " + nodeMax);
    }
    return asked;
  }

  private void checkEngine(String engine, ResourceLimits limits, boolean deterministic, long moduleBytes) {
    EngineDescriptor d;
    try {
      d = registry.choose(engine, limits.fuel().isPresent(), deterministic, (int) Math.min(moduleBytes, Integer.MAX_VALUE)).descriptor();
    } catch (ConfigurationException e) {
      throw ApiException.invalid("engine", e.getMessage());
    }
    if (limits.fuel().isPresent() && !d.enforces(Limit.FUEL)) {
      throw ApiException.invalid("limits.fuel", "engine '" + d.id() + "' cannot meter fuel; drop limits.fuel or choose another engine");
    }
    if (deterministic && !d.has(dev.plasm.engine.spi.Capability.DETERMINISTIC_WASI)) {
      throw ApiException.invalid("deterministic", "engine '" + d.id() + "' cannot give recorded clocks and random");
    }
  }

  private static String requestHash(String sha, String programName, List<String> args, Map<String, String> env, byte[] stdin,
      JobRecord.Limits lim, String engine, String nonce, boolean det) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("module", sha);
    o.put("programName", programName);
    o.set("args", Json.MAPPER.valueToTree(args));
    o.set("env", Json.MAPPER.valueToTree(env));
    o.put("stdinSha256", HexFormat.of().formatHex(sha256(stdin)));
    o.set("limits", Json.MAPPER.valueToTree(lim));
    o.put("engine", engine);
    o.put("nonce", nonce);
    o.put("deterministic", det);
    return HexFormat.of().formatHex(sha256(o.toString().getBytes(StandardCharsets.UTF_8)));
  }

  private static byte[] base64(String field, String s) {
    try {
      return Base64.getDecoder().decode(s);
    } catch (IllegalArgumentException e) {
      throw ApiException.invalid(field, field + " is not standard base64: " + e.getMessage());
    }
  }

  private void listJobs(HttpExchange ex) throws IOException {
    Map<String, String> q = query(ex);
    onlyParams(q, Set.of("limit", "before", "state"));
    int limit = 50;
    if (q.containsKey("limit")) {
      try {
        limit = Integer.parseInt(q.get("limit"));
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > 1000) {
        throw ApiException.invalid("limit", "limit must be a whole number from 1 to 1000");
      }
    }
    String before = q.get("before");
    if (before != null && !JobStore.ID.matcher(before).matches()) {
      throw ApiException.invalid("before", "before must be a job id");
    }
    String state = q.get("state");
    if (state != null && !Set.of(JobRecord.QUEUED, JobRecord.RUNNING, JobRecord.FINISHED, JobRecord.CANCELLED,
        JobRecord.INTERRUPTED).contains(state)) {
      throw ApiException.invalid("state", "state must be queued, running, finished, cancelled or interrupted");
    }
    List<JobRecord> page = store.list(limit + 1, before, state);
    ObjectNode o = Json.MAPPER.createObjectNode();
    ArrayNode jobs = o.putArray("jobs");
    for (JobRecord r : page.subList(0, Math.min(limit, page.size()))) {
      jobs.add(view(r));
    }
    if (page.size() > limit) {
      o.put("next", page.get(limit - 1).id());
    }
    sendJson(ex, 200, o);
  }

  private void waitFor(HttpExchange ex, JobRecord r) throws IOException {
    Map<String, String> q = query(ex);
    onlyParams(q, Set.of("timeout"));
    Duration timeout = waitParam(q, "timeout", Duration.ofSeconds(30));
    JobRecord now = awaitEnd(r, timeout);
    if (now != null) {
      sendJson(ex, 200, view(now));
    }
  }

  /** A long-poll duration from the query, at most {@code api.max-wait}. */
  private Duration waitParam(Map<String, String> q, String name, Duration dflt) {
    Duration d = dflt;
    if (q.containsKey(name)) {
      try {
        d = dev.plasm.api.Durations.parse(name, q.get(name));
      } catch (ConfigurationException e) {
        throw ApiException.invalid(name, e.getMessage());
      }
    }
    if (d.compareTo(config.maxWait()) > 0) {
      throw ApiException.invalid(name, name + " is over this node's api.max-wait of " + config.maxWait().toSeconds() + "s");
    }
    return d;
  }

  /** The job once it has ended, or as it is after {@code timeout}; null if interrupted. */
  private JobRecord awaitEnd(JobRecord r, Duration timeout) {
    if (r.terminal() || timeout.isZero()) {
      return r.terminal() ? r : store.get(r.id());
    }
    try {
      return store.whenDone(r.id()).get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      return store.get(r.id());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } catch (java.util.concurrent.ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  private void cancel(HttpExchange ex, String id) throws IOException {
    switch (runner.cancel(id)) {
      case CANCELLED -> sendJson(ex, 200, view(store.get(id)));
      case ALREADY_ENDED -> throw new ApiException(409, "already-ended", "id",
          "job " + id + " already ended (" + store.get(id).state() + ")");
      case UNKNOWN -> throw ApiException.notFound("id", "no job " + id);
    }
  }

  /** A job as the API shows it: the record without its environment values (they may be secrets). */
  private static ObjectNode view(JobRecord r) {
    ObjectNode o = Json.MAPPER.valueToTree(r);
    o.remove("env");
    o.remove("requestSha256");
    o.set("envNames", Json.MAPPER.valueToTree(List.copyOf(r.env().keySet())));
    if (r.idempotencyKey() == null) {
      o.remove("idempotencyKey");
    }
    return o;
  }

  // ---- responses

  static void sendJson(HttpExchange ex, int status, Object body) throws IOException {
    sendBytes(ex, status, "application/json", Json.MAPPER.writeValueAsBytes(body));
  }

  private static void sendBytes(HttpExchange ex, int status, String type, byte[] bytes) throws IOException {
    Headers h = ex.getResponseHeaders();
    h.set("Content-Type", type);
    h.set("Cache-Control", "no-store");
    h.set("X-Content-Type-Options", "nosniff");
    if (ex.getRequestMethod().equals("HEAD")) {
      ex.sendResponseHeaders(status, -1);
      return;
    }
    ex.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      try (OutputStream out = ex.getResponseBody()) {
        out.write(bytes);
      }
    }
  }

  /**
   * A job's output from {@code ?offset=N} (default 0) to what is there now. {@code
   * X-Plasm-Next-Offset} says where the next read starts and {@code X-Plasm-Output-Complete: true}
   * that the job had ended before the read began, so nothing more will come.
   */
  private void sendOutput(HttpExchange ex, String id, String name) throws IOException {
    Map<String, String> q = query(ex);
    onlyParams(q, Set.of("offset"));
    long offset = 0;
    if (q.containsKey("offset")) {
      try {
        offset = Long.parseLong(q.get("offset"));
      } catch (NumberFormatException e) {
        offset = -1;
      }
      if (offset < 0) {
        throw ApiException.invalid("offset", "offset must be a whole number of bytes >= 0");
      }
    }
    boolean complete = store.get(id).terminal(); // read before the size: output never grows after the end
    Path file = store.dir(id).resolve(name);
    long size = Files.isRegularFile(file) ? Files.size(file) : 0;
    if (offset > size) {
      throw ApiException.invalid("offset", "offset " + offset + " is past the " + size + " bytes of " + name + " there are"
          + (complete ? "" : " so far"));
    }
    long length = size - offset;
    ex.getResponseHeaders().set("Content-Type", "application/octet-stream");
    ex.getResponseHeaders().set("Cache-Control", "no-store");
    ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
    ex.getResponseHeaders().set("X-Plasm-Next-Offset", Long.toString(size));
    ex.getResponseHeaders().set("X-Plasm-Output-Complete", Boolean.toString(complete));
    ex.sendResponseHeaders(200, length == 0 ? -1 : length);
    if (length == 0) {
      return;
    }
    try (java.nio.channels.FileChannel ch = java.nio.channels.FileChannel.open(file);
        OutputStream out = ex.getResponseBody()) {
      ch.position(offset);
      InputStream in = java.nio.channels.Channels.newInputStream(ch);
      byte[] buf = new byte[65536];
      long left = length;
      int r;
      while (left > 0 && (r = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0) {
        out.write(buf, 0, r);
        left -= r;
      }
    }
  }

  private static void sendFile(HttpExchange ex, Path file, String type, String missing) throws IOException {
    if (!Files.isRegularFile(file)) {
      if (missing != null) {
        throw ApiException.notFound("receipt", missing);
      }
      sendBytes(ex, 200, type, new byte[0]);
      return;
    }
    try (InputStream in = Files.newInputStream(file)) {
      long size = Files.size(file);
      ex.getResponseHeaders().set("Content-Type", type);
      ex.getResponseHeaders().set("Cache-Control", "no-store");
      ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
      ex.sendResponseHeaders(200, size == 0 ? -1 : size);
      if (size > 0) {
        try (OutputStream out = ex.getResponseBody()) {
          // Exactly the bytes present when the headers went out (a running job's output grows).
          byte[] buf = new byte[65536];
          long left = size;
          int r;
          while (left > 0 && (r = in.read(buf, 0, (int) Math.min(buf.length, left))) > 0) {
            out.write(buf, 0, r);
            left -= r;
          }
          while (left > 0) {
            int n = (int) Math.min(buf.length, left);
            java.util.Arrays.fill(buf, 0, n, (byte) 0);
            out.write(buf, 0, n);
            left -= n;
          }
        }
      }
    }
  }

  private void sendError(HttpExchange ex, ApiException e) {
    try {
      ObjectNode root = Json.MAPPER.createObjectNode();
      ObjectNode err = root.putObject("error");
      err.put("code", e.code());
      err.put("message", e.getMessage());
      if (e.field() != null) {
        err.put("field", e.field());
      }
      e.headers().forEach((k, v) -> ex.getResponseHeaders().set(k, v));
      if (e.status() == 413 || e.status() == 421) {
        // Do not read (or wait for) a body we refused.
        ex.getResponseHeaders().set("Connection", "close");
      }
      sendBytes(ex, e.status(), "application/json", Json.MAPPER.writeValueAsBytes(root));
    } catch (IOException | RuntimeException io) {
      // The response was already started or the client left.
    }
  }

  private static byte[] sha256(byte[] b) {
    return ModuleStore.sha256().digest(b);
  }
}
