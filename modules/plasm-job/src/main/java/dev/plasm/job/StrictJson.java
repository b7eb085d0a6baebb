package dev.plasm.job;

import dev.plasm.job.ManifestException.Problem;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import tools.jackson.core.JacksonException;
import tools.jackson.core.StreamReadConstraints;
import tools.jackson.core.StreamReadFeature;
import tools.jackson.core.exc.StreamConstraintsException;
import tools.jackson.core.json.JsonFactory;
import tools.jackson.databind.DeserializationFeature;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Reads JSON documents strictly and their fields by exact type, with errors in the document's own
 * terms (a field path and a JSON type, never a Java class): no coercion of {@code "2000"} to a
 * number or of {@code 1} to {@code true}, no byte order mark, only valid UTF-8, no unpaired
 * surrogates in strings, no duplicate keys, bounded nesting.
 */
public final class StrictJson {
  /** Deepest nesting accepted. */
  public static final int MAX_DEPTH = 16;

  private static final JsonMapper MAPPER =
      JsonMapper.builder(
              JsonFactory.builder()
                  .streamReadConstraints(
                      StreamReadConstraints.builder()
                          .maxNestingDepth(MAX_DEPTH)
                          .maxStringLength(1 << 30)
                          .maxNumberLength(32)
                          .maxNameLength(1024)
                          .build())
                  .build())
          .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
          .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
          .build();

  private StrictJson() {}

  /** Parses a document that must be one JSON object. */
  public static ObjectNode object(byte[] bytes) {
    if (bytes.length == 0) {
      throw new ManifestException(
          Problem.INVALID_JSON, null, "the document is empty; send a JSON object");
    }
    int b0 = bytes[0] & 0xff;
    int b1 = bytes.length > 1 ? bytes[1] & 0xff : -1;
    boolean utf8Bom = b0 == 0xEF && b1 == 0xBB && bytes.length > 2 && (bytes[2] & 0xff) == 0xBF;
    if (utf8Bom || (b0 == 0xFE && b1 == 0xFF) || (b0 == 0xFF && b1 == 0xFE)) {
      throw new ManifestException(
          Problem.INVALID_JSON,
          null,
          "the document starts with a byte order mark; send UTF-8 JSON without one");
    }
    try {
      StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes));
    } catch (CharacterCodingException e) {
      throw new ManifestException(Problem.INVALID_JSON, null, "the document is not valid UTF-8");
    }
    JsonNode tree;
    try {
      tree = MAPPER.readTree(bytes);
    } catch (StreamConstraintsException e) {
      throw new ManifestException(
          Problem.TOO_COMPLEX,
          null,
          "the JSON is nested deeper than " + MAX_DEPTH + " levels, or a value is too long");
    } catch (JacksonException e) {
      String m = e.getOriginalMessage() == null ? "" : e.getOriginalMessage();
      if (m.startsWith("Duplicate")) {
        int q = m.indexOf('\'');
        int q2 = q < 0 ? -1 : m.indexOf('\'', q + 1);
        String key = q2 > q ? m.substring(q + 1, q2) : "?";
        throw new ManifestException(
            Problem.DUPLICATE_KEY, null, "the key '" + key + "' appears twice in one object");
      }
      long at = e.getLocation() == null ? -1 : e.getLocation().getCharOffset();
      throw new ManifestException(
          Problem.INVALID_JSON,
          null,
          "not valid JSON" + (at >= 0 ? " (at character " + at + ")" : "") + ": " + firstLine(m));
    }
    if (tree == null || !tree.isObject()) {
      throw new ManifestException(
          Problem.INVALID_JSON, null, "the document must be a JSON object ({...})");
    }
    return (ObjectNode) tree;
  }

  private static String firstLine(String m) {
    int nl = m.indexOf('\n');
    String s = nl < 0 ? m : m.substring(0, nl);
    // Jackson's wording names its tokens; keep the part a person can act on.
    return s.replace("Unexpected character", "unexpected character")
        .replaceAll("\\(code \\d+\\)", "")
        .replaceAll(": was expecting.*", "")
        .strip();
  }

  /** A JSON type as a person calls it, for "must be X, not Y". */
  static String describe(JsonNode n) {
    if (n == null || n.isNull()) {
      return "null";
    }
    if (n.isString()) {
      return "a string";
    }
    if (n.isIntegralNumber()) {
      return "a whole number";
    }
    if (n.isNumber()) {
      return "a number with a fraction";
    }
    if (n.isBoolean()) {
      return "true or false";
    }
    if (n.isArray()) {
      return "an array";
    }
    return "an object";
  }

  /** One object of a document, its fields read by exact type; {@code path} prefixes field names in errors. */
  public static final class Obj {
    private final ObjectNode node;
    private final String path;

    /**
     * Wraps {@code node}, refusing any field not in {@code allowed}.
     *
     * @param path the object's path in the document ("" for the root)
     */
    public Obj(ObjectNode node, String path, Set<String> allowed) {
      this.node = node;
      this.path = path;
      for (Iterator<String> it = node.propertyNames().iterator(); it.hasNext(); ) {
        String k = it.next();
        if (!allowed.contains(k)) {
          throw new ManifestException(
              Problem.UNKNOWN_FIELD, field(k), "unknown field '" + field(checked(k, k)) + "'");
        }
      }
    }

    /** The full path of field {@code name}. */
    public String field(String name) {
      return path.isEmpty() ? name : path + "." + name;
    }

    public boolean has(String name) {
      return node.has(name);
    }

    public ObjectNode node() {
      return node;
    }

    private JsonNode value(String name) {
      JsonNode v = node.get(name);
      if (v != null && v.isNull()) {
        throw invalid(name, "must not be null; leave the field out instead");
      }
      return v;
    }

    ManifestException invalid(String name, String what) {
      return new ManifestException(Problem.INVALID_VALUE, field(name), field(name) + " " + what);
    }

    private ManifestException wrongType(String name, String want, JsonNode got) {
      return invalid(name, "must be " + want + ", not " + describe(got));
    }

    /** A string, or null when absent. */
    public String string(String name) {
      JsonNode v = value(name);
      if (v == null) {
        return null;
      }
      if (!v.isString()) {
        throw wrongType(name, "a string", v);
      }
      return checked(field(name), v.asString());
    }

    /** A whole number, or null when absent. */
    public Long integer(String name) {
      JsonNode v = value(name);
      if (v == null) {
        return null;
      }
      if (!v.isIntegralNumber()) {
        throw wrongType(name, "a whole number", v);
      }
      if (!v.canConvertToLong()) {
        throw invalid(name, "is out of range");
      }
      return v.asLong();
    }

    /** true or false, or null when absent. */
    public Boolean bool(String name) {
      JsonNode v = value(name);
      if (v == null) {
        return null;
      }
      if (!v.isBoolean()) {
        throw wrongType(name, "true or false", v);
      }
      return v.asBoolean();
    }

    /** An array of strings, or null when absent. */
    public List<String> strings(String name) {
      JsonNode v = value(name);
      if (v == null) {
        return null;
      }
      if (!v.isArray()) {
        throw wrongType(name, "an array of strings", v);
      }
      List<String> out = new ArrayList<>(v.size());
      for (int i = 0; i < v.size(); i++) {
        JsonNode e = v.get(i);
        String at = name + "[" + i + "]";
        if (!e.isString()) {
          throw wrongType(at, "a string", e);
        }
        out.add(checked(field(at), e.asString()));
      }
      return out;
    }

    /** An object whose values are strings, or null when absent. */
    public Map<String, String> stringMap(String name) {
      JsonNode v = value(name);
      if (v == null) {
        return null;
      }
      if (!v.isObject()) {
        throw wrongType(name, "an object of strings", v);
      }
      Map<String, String> out = new LinkedHashMap<>();
      for (var e : v.properties()) {
        checked(field(name), e.getKey());
        String at = name + "." + e.getKey();
        if (!e.getValue().isString()) {
          throw wrongType(at, "a string", e.getValue());
        }
        out.put(e.getKey(), checked(field(at), e.getValue().asString()));
      }
      return out;
    }

    /** A nested object, or null when absent. */
    public Obj object(String name, Set<String> allowed) {
      JsonNode v = value(name);
      if (v == null) {
        return null;
      }
      if (!v.isObject()) {
        throw wrongType(name, "an object", v);
      }
      return new Obj((ObjectNode) v, field(name), allowed);
    }
  }

  /** {@code s} if it is well-formed Unicode (no unpaired surrogate); else an error naming {@code field}. */
  static String checked(String field, String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (Character.isHighSurrogate(c)) {
        if (i + 1 < s.length() && Character.isLowSurrogate(s.charAt(i + 1))) {
          i++;
          continue;
        }
        throw unpaired(field, i);
      }
      if (Character.isLowSurrogate(c)) {
        throw unpaired(field, i);
      }
    }
    return s;
  }

  private static ManifestException unpaired(String field, int at) {
    return new ManifestException(
        Problem.INVALID_VALUE,
        field,
        field
            + " is not valid Unicode text: an unpaired surrogate (a \\uD800-\\uDFFF escape without its partner) at character "
            + at);
  }
}
