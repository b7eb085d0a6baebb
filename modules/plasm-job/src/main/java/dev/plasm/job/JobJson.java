package dev.plasm.job;

import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.Limit;
import dev.plasm.api.LimitValueException;
import dev.plasm.api.RejectionKind;
import dev.plasm.api.ResourceLimits;
import dev.plasm.api.TrapKind;
import dev.plasm.api.Usage;
import dev.plasm.job.JobManifest.ModuleSource;
import dev.plasm.job.JobManifest.StdinSource;
import dev.plasm.job.ManifestException.Problem;
import java.time.Duration;
import java.util.Base64;
import java.util.EnumMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Set;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The JSON form of a job and of how it ended (docs/manifest.md, docs/manifest.schema.json): read
 * strictly, written canonically. Every reader names the field at fault in the document's own terms.
 */
public final class JobJson {
  private JobJson() {}

  /** Who wrote a manifest; each may use a different set of fields. */
  public enum Source {
    /** {@code POST /v1/jobs}: the module by hash or inline, stdin inline. */
    HTTP,
    /** A manifest file for {@code plasm run --manifest} or {@code plasm submit --manifest}: also paths. */
    FILE,
    /** The peer-to-peer job protocol: the module by hash only, nothing about where else to run. */
    PEER
  }

  /** A module's or a blob's sha256, lower-case hex. */
  public static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  private static final Pattern ID_CHARS = JobManifest.ID_CHARS;
  private static final Pattern ENGINE = JobManifest.ENGINE;

  /** Most arguments, and most environment variables, a job may have. */
  public static final int MAX_ARGS = 4096;

  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private static final Set<String> LIMIT_FIELDS = limitFields();

  private static Set<String> limitFields() {
    Set<String> s = new HashSet<>();
    for (Limit l : Limit.values()) {
      s.add(l.jsonName());
    }
    return Set.copyOf(s);
  }

  private static final Set<String> COMMON =
      Set.of("programName", "args", "env", "limits", "engine", "deterministic", "nonce");

  private static Set<String> fields(Source source) {
    Set<String> s = new HashSet<>(COMMON);
    s.add("module");
    switch (source) {
      case HTTP ->
          s.addAll(
              List.of(
                  "moduleBase64",
                  "stdinBase64",
                  "placement",
                  "redundancy",
                  "verify",
                  "idempotencyKey"));
      case FILE ->
          s.addAll(
              List.of(
                  "moduleBase64",
                  "modulePath",
                  "stdinBase64",
                  "stdinPath",
                  "placement",
                  "redundancy",
                  "verify",
                  "idempotencyKey"));
      case PEER -> s.add("stdinBase64");
    }
    return s;
  }

  // ---- manifests

  /** Reads a manifest document. */
  public static JobManifest manifest(byte[] json, Source source) {
    return manifest(StrictJson.object(json), source);
  }

  /** Reads a manifest from a parsed object. */
  public static JobManifest manifest(ObjectNode root, Source source) {
    StrictJson.Obj o = new StrictJson.Obj(root, "", fields(source));
    ModuleSource module = module(o);

    String programName = o.string("programName");
    if (programName != null
        && (programName.isEmpty()
            || programName.length() > 255
            || programName.indexOf('\0') >= 0)) {
      throw o.invalid("programName", "must be 1-255 characters without NUL");
    }
    List<String> args = o.strings("args");
    if (args == null) {
      args = List.of();
    }
    if (args.size() > MAX_ARGS) {
      throw o.invalid(
          "args", "has " + args.size() + " entries; at most " + MAX_ARGS + " are accepted");
    }
    for (int i = 0; i < args.size(); i++) {
      if (args.get(i).indexOf('\0') >= 0) {
        throw o.invalid("args[" + i + "]", "must not contain NUL");
      }
    }
    Map<String, String> env = o.stringMap("env");
    if (env == null) {
      env = Map.of();
    }
    if (env.size() > MAX_ARGS) {
      throw o.invalid(
          "env", "has " + env.size() + " variables; at most " + MAX_ARGS + " are accepted");
    }
    for (var e : env.entrySet()) {
      String k = e.getKey();
      if (k.isEmpty() || k.indexOf('=') >= 0 || k.indexOf('\0') >= 0) {
        throw o.invalid(
            "env", "has a variable name '" + k + "'; names must be non-empty, without '=' or NUL");
      }
      if (e.getValue().indexOf('\0') >= 0) {
        throw o.invalid("env." + k, "must not contain NUL");
      }
    }
    StdinSource stdin = stdin(o);
    Map<Limit, Long> limits = requestedLimits(o.object("limits", LIMIT_FIELDS));

    String engine = o.string("engine");
    if (engine == null) {
      engine = JobManifest.AUTO;
    } else if (engine.length() > 64 || !ENGINE.matcher(engine).matches()) {
      throw o.invalid(
          "engine",
          "must be an engine id such as wasmtime (lower-case letters, digits, dashes), or auto");
    }
    Boolean det = o.bool("deterministic");
    String nonce = o.string("nonce");
    if (nonce != null && !ID_CHARS.matcher(nonce).matches()) {
      throw o.invalid("nonce", "must be 1-128 characters of A-Z a-z 0-9 . _ : -");
    }
    Placement placement = Placement.ANY;
    String p = o.string("placement");
    if (p != null) {
      placement = Placement.parse(p);
      if (placement == null) {
        throw o.invalid("placement", "must be local, remote, any, or a peer id (12D3KooW...)");
      }
    }
    Long redundancy = o.integer("redundancy");
    if (redundancy != null && (redundancy < 1 || redundancy > JobManifest.MAX_REDUNDANCY)) {
      throw o.invalid(
          "redundancy",
          "must be 1 to " + JobManifest.MAX_REDUNDANCY + " (distinct nodes to run the job on)");
    }
    Verify verify = Verify.RECEIPT;
    String v = o.string("verify");
    if (v != null) {
      verify =
          switch (v) {
            case "receipt" -> Verify.RECEIPT;
            case "reexecute" -> Verify.REEXECUTE;
            default -> throw o.invalid("verify", "must be receipt or reexecute");
          };
    }
    String key = o.string("idempotencyKey");
    if (key != null && !ID_CHARS.matcher(key).matches()) {
      throw o.invalid("idempotencyKey", "must be 1-128 characters of A-Z a-z 0-9 . _ : -");
    }
    return new JobManifest(
        module,
        programName,
        args,
        env,
        stdin,
        limits,
        engine,
        Boolean.TRUE.equals(det),
        nonce,
        placement,
        redundancy == null ? 1 : redundancy.intValue(),
        verify,
        key);
  }

  private static ModuleSource module(StrictJson.Obj o) {
    String sha = o.string("module");
    String b64 = o.has("moduleBase64") ? o.string("moduleBase64") : null;
    String path = o.has("modulePath") ? o.string("modulePath") : null;
    int given = (sha == null ? 0 : 1) + (b64 == null ? 0 : 1) + (path == null ? 0 : 1);
    if (given != 1) {
      String choices =
          o.has("modulePath") || path != null
              ? "'module' (a sha256), 'moduleBase64' and 'modulePath'"
              : "'module' (the sha256 of an uploaded module) and 'moduleBase64'";
      throw new ManifestException(
          Problem.INVALID_VALUE, "module", "module: give exactly one of " + choices);
    }
    if (sha != null) {
      if (!SHA256.matcher(sha).matches()) {
        throw o.invalid(
            "module", "'" + abbreviate(sha) + "' is not a sha256 (64 lower-case hex digits)");
      }
      return new ModuleSource.ByHash(sha);
    }
    if (b64 != null) {
      return new ModuleSource.Inline(base64(o, "moduleBase64", b64));
    }
    if (path.isEmpty() || path.indexOf('\0') >= 0) {
      throw o.invalid("modulePath", "must be a file path");
    }
    return new ModuleSource.ByPath(path);
  }

  private static StdinSource stdin(StrictJson.Obj o) {
    String b64 = o.has("stdinBase64") ? o.string("stdinBase64") : null;
    String path = o.has("stdinPath") ? o.string("stdinPath") : null;
    if (b64 != null && path != null) {
      throw new ManifestException(
          Problem.INVALID_VALUE,
          "stdinBase64",
          "give at most one of 'stdinBase64' and 'stdinPath'");
    }
    if (b64 != null) {
      return new StdinSource.Inline(base64(o, "stdinBase64", b64));
    }
    if (path != null) {
      if (path.isEmpty() || path.indexOf('\0') >= 0) {
        throw o.invalid("stdinPath", "must be a file path");
      }
      return new StdinSource.ByPath(path);
    }
    return new StdinSource.None();
  }

  private static Map<Limit, Long> requestedLimits(StrictJson.Obj lim) {
    Map<Limit, Long> out = new EnumMap<>(Limit.class);
    if (lim == null) {
      return out;
    }
    for (Limit l : Limit.values()) {
      Long v = lim.integer(l.jsonName());
      if (v == null) {
        continue;
      }
      try {
        out.put(l, l.check(v));
      } catch (LimitValueException e) {
        String f = lim.field(l.jsonName());
        throw new ManifestException(Problem.INVALID_VALUE, f, e.messageFor(f));
      }
    }
    return out;
  }

  private static byte[] base64(StrictJson.Obj o, String name, String text) {
    try {
      return Base64.getDecoder().decode(text);
    } catch (IllegalArgumentException e) {
      throw o.invalid(name, "is not standard base64 (RFC 4648, with padding)");
    }
  }

  /** Writes a manifest in the form of {@code POST /v1/jobs} (a path source is written as a path). */
  public static ObjectNode tree(JobManifest m) {
    ObjectNode o = F.objectNode();
    switch (m.module()) {
      case ModuleSource.ByHash h -> o.put("module", h.sha256());
      case ModuleSource.Inline i ->
          o.put("moduleBase64", Base64.getEncoder().encodeToString(i.bytes()));
      case ModuleSource.ByPath p -> o.put("modulePath", p.path());
    }
    if (m.programName() != null) {
      o.put("programName", m.programName());
    }
    if (!m.args().isEmpty()) {
      m.args().forEach(o.putArray("args")::add);
    }
    if (!m.env().isEmpty()) {
      ObjectNode env = o.putObject("env");
      m.env().forEach(env::put);
    }
    switch (m.stdin()) {
      case StdinSource.None n -> {}
      case StdinSource.Inline i ->
          o.put("stdinBase64", Base64.getEncoder().encodeToString(i.bytes()));
      case StdinSource.ByPath p -> o.put("stdinPath", p.path());
    }
    if (!m.limits().isEmpty()) {
      ObjectNode lim = o.putObject("limits");
      m.limits().forEach((l, v) -> lim.put(l.jsonName(), v));
    }
    if (!m.engine().equals(JobManifest.AUTO)) {
      o.put("engine", m.engine());
    }
    if (m.deterministic()) {
      o.put("deterministic", true);
    }
    if (m.nonce() != null) {
      o.put("nonce", m.nonce());
    }
    if (!m.placement().equals(Placement.ANY)) {
      o.put("placement", m.placement().text());
    }
    if (m.redundancy() != 1) {
      o.put("redundancy", m.redundancy());
    }
    if (m.verify() != Verify.RECEIPT) {
      o.put("verify", m.verify().text());
    }
    if (m.idempotencyKey() != null) {
      o.put("idempotencyKey", m.idempotencyKey());
    }
    return o;
  }

  // ---- limits

  /** Limits as the {@code limits} object of job records and plans: every limit set, by JSON name. */
  public static ObjectNode limits(ResourceLimits l) {
    ObjectNode o = F.objectNode();
    l.byJsonName().forEach(o::put);
    return o;
  }

  /** Reads a full set of limits (every required limit present). */
  public static ResourceLimits limits(JsonNode node, String path) {
    if (node == null || !node.isObject()) {
      throw new ManifestException(
          Problem.INVALID_VALUE, path, path + " must be an object of limits");
    }
    StrictJson.Obj o = new StrictJson.Obj((ObjectNode) node, path, LIMIT_FIELDS);
    Map<Limit, Long> m = requestedLimits(o);
    try {
      return new ResourceLimits(m);
    } catch (LimitValueException e) {
      String f = o.field(e.limit().jsonName());
      throw new ManifestException(Problem.INVALID_VALUE, f, e.messageFor(f));
    }
  }

  // ---- plans

  private static final Set<String> PLAN_FIELDS =
      Set.of(
          "moduleSha256",
          "moduleBytes",
          "programName",
          "args",
          "env",
          "stdinBytes",
          "engine",
          "limits",
          "deterministic",
          "nonce");

  /** A plan as JSON (stored with the job, sent to a worker). */
  public static ObjectNode tree(JobPlan p) {
    ObjectNode o = F.objectNode();
    o.put("moduleSha256", p.moduleSha256());
    o.put("moduleBytes", p.moduleBytes());
    o.put("programName", p.programName());
    p.args().forEach(o.putArray("args")::add);
    ObjectNode env = o.putObject("env");
    p.env().forEach(env::put);
    o.put("stdinBytes", p.stdinBytes());
    o.putObject("engine").put("id", p.engine().id()).put("version", p.engine().version());
    o.set("limits", limits(p.limits()));
    o.put("deterministic", p.deterministic());
    if (p.nonce() != null) {
      o.put("nonce", p.nonce());
    }
    return o;
  }

  /** Reads a plan. */
  public static JobPlan plan(JsonNode node) {
    if (node == null || !node.isObject()) {
      throw new ManifestException(Problem.INVALID_JSON, null, "a plan must be a JSON object");
    }
    StrictJson.Obj o = new StrictJson.Obj((ObjectNode) node, "", PLAN_FIELDS);
    StrictJson.Obj e = o.object("engine", Set.of("id", "version"));
    if (e == null) {
      throw o.invalid("engine", "is required");
    }
    return new JobPlan(
        required(o, "moduleSha256", o.string("moduleSha256")),
        required(o, "moduleBytes", o.integer("moduleBytes")),
        required(o, "programName", o.string("programName")),
        orEmpty(o.strings("args")),
        o.stringMap("env") == null ? Map.of() : o.stringMap("env"),
        required(o, "stdinBytes", o.integer("stdinBytes")),
        new JobPlan.Engine(
            required(e, "id", e.string("id")), required(e, "version", e.string("version"))),
        limits(o.node().get("limits"), "limits"),
        Boolean.TRUE.equals(o.bool("deterministic")),
        o.string("nonce"));
  }

  private static <T> T required(StrictJson.Obj o, String name, T v) {
    if (v == null) {
      throw o.invalid(name, "is required");
    }
    return v;
  }

  private static List<String> orEmpty(List<String> l) {
    return l == null ? List.of() : l;
  }

  // ---- outcomes and usage

  /** How a job ended: {@code {kind, exitCode?, detail?, message?}} (usage is written apart, see {@link #usage(Usage)}). */
  public static ObjectNode outcome(ExecutionOutcome o) {
    ObjectNode n = F.objectNode();
    n.put("kind", o.id());
    switch (o) {
      case ExecutionOutcome.Completed c -> n.put("exitCode", c.exitCode());
      case ExecutionOutcome.Trapped t -> n.put("detail", t.kind().id()).put("message", t.message());
      case ExecutionOutcome.LimitExceeded l ->
          n.put("detail", l.limit().id()).put("message", l.message());
      case ExecutionOutcome.Rejected r ->
          n.put("detail", r.kind().id()).put("message", r.message());
      case ExecutionOutcome.Failed f -> n.put("message", f.message());
      case ExecutionOutcome.Cancelled c -> n.put("message", c.message());
      case ExecutionOutcome.Interrupted i -> n.put("message", i.message());
    }
    return n;
  }

  /** What a run consumed: {@code {wallTimeMicros, peakMemoryPages, fuelConsumed?, stdoutBytes, stderrBytes}}. */
  public static ObjectNode usage(Usage u) {
    ObjectNode n = F.objectNode();
    n.put("wallTimeMicros", u.wallTime().toNanos() / 1000);
    n.put("peakMemoryPages", u.peakMemoryPages());
    if (u.fuelConsumed().isPresent()) {
      n.put("fuelConsumed", u.fuelConsumed().getAsLong());
    }
    n.put("stdoutBytes", u.stdoutBytes());
    n.put("stderrBytes", u.stderrBytes());
    return n;
  }

  /** Reads usage. */
  public static Usage usage(JsonNode node, String path) {
    if (node == null || !node.isObject()) {
      throw new ManifestException(Problem.INVALID_VALUE, path, path + " must be an object");
    }
    StrictJson.Obj o =
        new StrictJson.Obj(
            (ObjectNode) node,
            path,
            Set.of(
                "wallTimeMicros", "peakMemoryPages", "fuelConsumed", "stdoutBytes", "stderrBytes"));
    Long fuel = o.integer("fuelConsumed");
    try {
      return new Usage(
          Duration.ofNanos(required(o, "wallTimeMicros", o.integer("wallTimeMicros")) * 1000),
          Math.toIntExact(required(o, "peakMemoryPages", o.integer("peakMemoryPages"))),
          fuel == null ? OptionalLong.empty() : OptionalLong.of(fuel),
          required(o, "stdoutBytes", o.integer("stdoutBytes")),
          required(o, "stderrBytes", o.integer("stderrBytes")));
    } catch (IllegalArgumentException | ArithmeticException e) {
      throw new ManifestException(Problem.INVALID_VALUE, path, path + ": " + e.getMessage());
    }
  }

  /** Reads an outcome written by {@link #outcome(ExecutionOutcome)}, with its usage. */
  public static ExecutionOutcome outcome(JsonNode node, Usage usage, String path) {
    if (node == null || !node.isObject()) {
      throw new ManifestException(Problem.INVALID_VALUE, path, path + " must be an object");
    }
    StrictJson.Obj o =
        new StrictJson.Obj(
            (ObjectNode) node, path, Set.of("kind", "exitCode", "detail", "message"));
    String kind = required(o, "kind", o.string("kind"));
    String detail = o.string("detail");
    String message = o.string("message");
    return switch (kind) {
      case "completed" ->
          new ExecutionOutcome.Completed(
              Math.toIntExact(required(o, "exitCode", o.integer("exitCode"))), usage);
      case "trapped" ->
          new ExecutionOutcome.Trapped(trapKind(o, detail), required(o, "message", message), usage);
      case "limit-exceeded" -> {
        Limit l = Limit.byId(required(o, "detail", detail));
        if (l == null) {
          throw o.invalid("detail", "'" + detail + "' is not a limit");
        }
        yield new ExecutionOutcome.LimitExceeded(l, required(o, "message", message), usage);
      }
      case "rejected" ->
          new ExecutionOutcome.Rejected(rejectionKind(o, detail), required(o, "message", message));
      case "failed" -> new ExecutionOutcome.Failed(required(o, "message", message), usage);
      case "cancelled" -> new ExecutionOutcome.Cancelled(required(o, "message", message), usage);
      case "interrupted" ->
          new ExecutionOutcome.Interrupted(required(o, "message", message), usage);
      default -> throw o.invalid("kind", "'" + kind + "' is not an outcome");
    };
  }

  private static TrapKind trapKind(StrictJson.Obj o, String id) {
    for (TrapKind k : TrapKind.values()) {
      if (k.id().equals(id)) {
        return k;
      }
    }
    throw o.invalid("detail", "'" + id + "' is not a trap kind");
  }

  private static RejectionKind rejectionKind(StrictJson.Obj o, String id) {
    for (RejectionKind k : RejectionKind.values()) {
      if (k.id().equals(id)) {
        return k;
      }
    }
    throw o.invalid("detail", "'" + id + "' is not a rejection kind");
  }

  private static String abbreviate(String s) {
    return s.length() > 80 ? s.substring(0, 77) + "..." : s;
  }
}
