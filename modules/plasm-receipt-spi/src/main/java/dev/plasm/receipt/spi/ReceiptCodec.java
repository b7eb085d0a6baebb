package dev.plasm.receipt.spi;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Converts receipts to and from JSON. Parsing is strict: duplicate keys, unknown fields, missing
 * fields, wrong types and fractional numbers are errors naming the field.
 */
public final class ReceiptCodec {
  /** The bytes signed are this prefix followed by the canonical JSON without "signature". */
  public static final String SIGNING_PREFIX = "plasm-receipt:v1:";

  private static final JsonMapper MAPPER =
      JsonMapper.builder().enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION).build();
  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  private ReceiptCodec() {}

  /** The receipt as a JSON tree (with the signature if it has one). */
  public static ObjectNode toTree(Receipt r) {
    ObjectNode o = F.objectNode();
    o.put("version", r.version());
    o.put("scheme", r.scheme());
    o.put("jobId", r.jobId());
    if (r.nonce() != null) {
      o.put("nonce", r.nonce());
    }
    o.set("module", digest(r.module()));
    ObjectNode in = o.putObject("inputs");
    in.put("programName", r.inputs().programName());
    in.put("argsSha256", r.inputs().argsSha256());
    in.put("envSha256", r.inputs().envSha256());
    in.set("stdin", digest(r.inputs().stdin()));
    o.set("settings", settings(r.settings()));
    o.put("settingsSha256", r.settingsSha256());
    ObjectNode out = o.putObject("outcome");
    out.put("kind", r.outcome().kind());
    if (r.outcome().exitCode() != null) {
      out.put("exitCode", r.outcome().exitCode());
    }
    if (r.outcome().detail() != null) {
      out.put("detail", r.outcome().detail());
    }
    o.set("stdout", digest(r.stdout()));
    o.set("stderr", digest(r.stderr()));
    ObjectNode u = o.putObject("usage");
    u.put("wallTimeMicros", r.usage().wallTimeMicros());
    u.put("peakMemoryPages", r.usage().peakMemoryPages());
    if (r.usage().fuelConsumed() != null) {
      u.put("fuelConsumed", r.usage().fuelConsumed());
    }
    o.put("startedAt", r.startedAt());
    o.put("finishedAt", r.finishedAt());
    ObjectNode s = o.putObject("signer");
    s.put("peerId", r.signer().peerId());
    s.put("publicKey", r.signer().publicKey());
    if (r.signature() != null) {
      o.put("signature", r.signature());
    }
    return o;
  }

  /** The canonical JSON of the settings, whose sha256 is {@code settingsSha256}. */
  public static ObjectNode settings(Receipt.Settings st) {
    ObjectNode o = F.objectNode();
    o.put("engineId", st.engineId());
    o.put("engineVersion", st.engineVersion());
    o.put("profile", st.profile());
    ObjectNode l = o.putObject("limits");
    st.limits().forEach(l::put);
    if (st.deterministic() != null) {
      ObjectNode d = o.putObject("deterministic");
      d.put("clockEpochMicros", st.deterministic().clockEpochMicros());
      d.put("randomSeed", st.deterministic().randomSeed());
    }
    return o;
  }

  private static ObjectNode digest(Receipt.Digest d) {
    ObjectNode o = F.objectNode();
    o.put("sha256", d.sha256());
    o.put("bytes", d.bytes());
    return o;
  }

  /** The bytes a scheme signs: {@link #SIGNING_PREFIX} and the canonical JSON without the signature. */
  public static byte[] signingBytes(Receipt r) {
    ObjectNode tree = toTree(r);
    tree.remove("signature");
    byte[] canonical = CanonicalJson.bytes(tree);
    byte[] prefix = SIGNING_PREFIX.getBytes(StandardCharsets.US_ASCII);
    byte[] all = new byte[prefix.length + canonical.length];
    System.arraycopy(prefix, 0, all, 0, prefix.length);
    System.arraycopy(canonical, 0, all, prefix.length, canonical.length);
    return all;
  }

  /** Pretty JSON for files and terminals; verifiers re-canonicalise, so layout does not matter. */
  public static String toJson(Receipt r) {
    return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(toTree(r)) + "\n";
  }

  /** The hex sha256 of a canonical JSON value: used for settings, arguments and environment. */
  public static String sha256OfCanonical(JsonNode node) {
    return sha256(CanonicalJson.bytes(node));
  }

  /** The hex sha256 of the canonical JSON array of these strings. */
  public static String sha256OfStrings(List<String> values) {
    ArrayNode a = F.arrayNode();
    values.forEach(a::add);
    return sha256OfCanonical(a);
  }

  public static String sha256(byte[] bytes) {
    try {
      return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-256 is part of every Java runtime", e);
    }
  }

  /**
   * Parses a receipt strictly.
   *
   * @throws ReceiptException naming the offending field
   */
  public static Receipt parse(byte[] json) {
    JsonNode root;
    try {
      root = MAPPER.readTree(json);
    } catch (JacksonException e) {
      String m = e.getOriginalMessage();
      if (m != null && m.startsWith("Duplicate Object property")) {
        throw new ReceiptException("", "duplicate key: " + m);
      }
      throw new ReceiptException("", "not valid JSON: " + m);
    }
    if (root == null || !root.isObject()) {
      throw new ReceiptException("", "a receipt is a JSON object");
    }
    Obj o = new Obj(root, "");
    o.only(
        "version",
        "scheme",
        "jobId",
        "nonce",
        "module",
        "inputs",
        "settings",
        "settingsSha256",
        "outcome",
        "stdout",
        "stderr",
        "usage",
        "startedAt",
        "finishedAt",
        "signer",
        "signature");
    Obj in = o.obj("inputs");
    in.only("programName", "argsSha256", "envSha256", "stdin");
    Obj st = o.obj("settings");
    st.only("engineId", "engineVersion", "profile", "limits", "deterministic");
    Obj lim = st.obj("limits");
    java.util.Map<String, Long> limits = new java.util.LinkedHashMap<>();
    for (Iterator<String> it = lim.node().propertyNames().iterator(); it.hasNext(); ) {
      String name = it.next();
      limits.put(name, lim.num(name));
    }
    Receipt.Deterministic det = null;
    if (st.has("deterministic")) {
      Obj d = st.obj("deterministic");
      d.only("clockEpochMicros", "randomSeed");
      det = new Receipt.Deterministic(d.num("clockEpochMicros"), d.str("randomSeed"));
    }
    Obj out = o.obj("outcome");
    out.only("kind", "exitCode", "detail");
    Obj u = o.obj("usage");
    u.only("wallTimeMicros", "peakMemoryPages", "fuelConsumed");
    Obj s = o.obj("signer");
    s.only("peerId", "publicKey");
    Long exit = out.optNum("exitCode");
    if (exit != null && (exit < Integer.MIN_VALUE || exit > Integer.MAX_VALUE)) {
      throw new ReceiptException("outcome.exitCode", "out of the 32-bit range");
    }
    return new Receipt(
        (int) o.num("version"),
        o.str("scheme"),
        o.str("jobId"),
        o.optStr("nonce"),
        digest(o.obj("module")),
        new Receipt.Inputs(
            in.str("programName"),
            in.str("argsSha256"),
            in.str("envSha256"),
            digest(in.obj("stdin"))),
        new Receipt.Settings(
            st.str("engineId"), st.str("engineVersion"), st.str("profile"), limits, det),
        o.str("settingsSha256"),
        new Receipt.Outcome(
            out.str("kind"), exit == null ? null : exit.intValue(), out.optStr("detail")),
        digest(o.obj("stdout")),
        digest(o.obj("stderr")),
        new Receipt.Usage(
            u.num("wallTimeMicros"), u.num("peakMemoryPages"), u.optNum("fuelConsumed")),
        o.str("startedAt"),
        o.str("finishedAt"),
        new Receipt.Signer(s.str("peerId"), s.str("publicKey")),
        o.optStr("signature"));
  }

  private static Receipt.Digest digest(Obj d) {
    d.only("sha256", "bytes");
    return new Receipt.Digest(d.str("sha256"), d.num("bytes"));
  }

  /** A JSON object read field by field, with the path for error messages. */
  private record Obj(JsonNode node, String path) {
    String at(String f) {
      return path.isEmpty() ? f : path + "." + f;
    }

    void only(String... allowed) {
      Set<String> ok = Set.of(allowed);
      for (Iterator<String> it = node.propertyNames().iterator(); it.hasNext(); ) {
        String f = it.next();
        if (!ok.contains(f)) {
          throw new ReceiptException(at(f), "unknown field");
        }
      }
    }

    boolean has(String f) {
      return node.has(f);
    }

    JsonNode req(String f) {
      JsonNode v = node.get(f);
      if (v == null || v.isNull()) {
        throw new ReceiptException(at(f), "is required");
      }
      return v;
    }

    Obj obj(String f) {
      JsonNode v = req(f);
      if (!v.isObject()) {
        throw new ReceiptException(at(f), "must be an object");
      }
      return new Obj(v, at(f));
    }

    String str(String f) {
      JsonNode v = req(f);
      if (!v.isString()) {
        throw new ReceiptException(at(f), "must be a string");
      }
      return v.asString();
    }

    String optStr(String f) {
      return node.has(f) ? str(f) : null;
    }

    long num(String f) {
      JsonNode v = req(f);
      if (!v.isIntegralNumber() || !v.canConvertToLong()) {
        throw new ReceiptException(at(f), "must be an integer");
      }
      return v.asLong();
    }

    Long optNum(String f) {
      return node.has(f) ? num(f) : null;
    }
  }
}
