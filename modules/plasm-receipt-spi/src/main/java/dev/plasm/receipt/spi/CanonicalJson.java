package dev.plasm.receipt.spi;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * RFC 8785 (JCS) canonical JSON for the subset receipts use: objects, arrays, strings, integers
 * of at most 2^53 in magnitude, booleans and null. Keys are sorted by UTF-16 code units, there is
 * no whitespace, and strings are escaped as ECMAScript's JSON.stringify does.
 */
public final class CanonicalJson {
  private static final long MAX_SAFE_INTEGER = (1L << 53) - 1;

  private CanonicalJson() {}

  public static byte[] bytes(JsonNode node) {
    StringBuilder sb = new StringBuilder();
    write(node, sb, "");
    return sb.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void write(JsonNode n, StringBuilder sb, String path) {
    if (n.isObject()) {
      List<String> keys = new ArrayList<>(n.propertyNames());
      // String.compareTo compares UTF-16 code units, exactly what RFC 8785 §3.2.3 asks.
      keys.sort(null);
      sb.append('{');
      for (int i = 0; i < keys.size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        string(keys.get(i), sb);
        sb.append(':');
        write(n.get(keys.get(i)), sb, path + "." + keys.get(i));
      }
      sb.append('}');
    } else if (n.isArray()) {
      sb.append('[');
      for (int i = 0; i < n.size(); i++) {
        if (i > 0) {
          sb.append(',');
        }
        write(n.get(i), sb, path + "[" + i + "]");
      }
      sb.append(']');
    } else if (n.isString()) {
      string(n.asString(), sb);
    } else if (n.isIntegralNumber()) {
      if (!n.canConvertToLong() || Math.abs(n.asLong()) > MAX_SAFE_INTEGER) {
        throw new ReceiptException(
            path.isEmpty() ? "" : path.substring(1), "integer outside ±2^53: " + n);
      }
      sb.append(n.asLong());
    } else if (n.isBoolean()) {
      sb.append(n.asBoolean());
    } else if (n.isNull()) {
      sb.append("null");
    } else {
      throw new ReceiptException(
          path.isEmpty() ? "" : path.substring(1), "receipts hold no fractional numbers: " + n);
    }
  }

  private static void string(String s, StringBuilder sb) {
    sb.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> sb.append("\\\"");
        case '\\' -> sb.append("\\\\");
        case '\b' -> sb.append("\\b");
        case '\f' -> sb.append("\\f");
        case '\n' -> sb.append("\\n");
        case '\r' -> sb.append("\\r");
        case '\t' -> sb.append("\\t");
        default -> {
          if (c < 0x20) {
            sb.append(String.format("\\u%04x", (int) c));
          } else {
            sb.append(c);
          }
        }
      }
    }
    sb.append('"');
  }
}
