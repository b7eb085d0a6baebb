package dev.plasm.daemon;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import tools.jackson.databind.JsonNode;

/**
 * The wire of docs/remote.md ("Framing") and the canonical JSON of docs/receipts.md §3, written
 * from the documents alone for the tests' own peers (not the daemon's code): if the daemon and the
 * documents drift apart, these peers stop understanding the daemon and the tests say so.
 */
final class PeerWire {
  static final int CONTROL = 1;
  static final int STDOUT = 2;
  static final int STDERR = 3;
  static final int DATA = 4;

  /** The most raw bytes an output or module frame carries. */
  static final int CHUNK = 262_144;

  private PeerWire() {}

  /** One frame as read. */
  record Frame(int type, byte[] payload) {
    JsonNode json() {
      if (type != CONTROL) {
        throw new AssertionError("expected a control frame, got type " + type);
      }
      return DaemonProcess.JSON.readTree(payload);
    }
  }

  /** The unsigned LEB128 varint of {@code n}. */
  static byte[] varint(long n) {
    byte[] b = new byte[10];
    int i = 0;
    while (n >= 0x80) {
      b[i++] = (byte) ((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    b[i++] = (byte) n;
    return java.util.Arrays.copyOf(b, i);
  }

  static void frame(OutputStream out, int type, byte[] payload) throws IOException {
    out.write(varint(payload.length + 1L));
    out.write(type);
    out.write(payload);
    out.flush();
  }

  static void control(OutputStream out, JsonNode message) throws IOException {
    frame(out, CONTROL, DaemonProcess.JSON.writeValueAsBytes(message));
  }

  /** Raw bytes as frames of {@code type}, {@value #CHUNK} bytes at most each. */
  static void chunks(OutputStream out, int type, byte[] bytes) throws IOException {
    for (int off = 0; off < bytes.length; off += CHUNK) {
      frame(
          out, type, java.util.Arrays.copyOfRange(bytes, off, Math.min(bytes.length, off + CHUNK)));
    }
  }

  /** The next frame, or null at a clean end of the stream; a frame over {@code cap} bytes fails. */
  static Frame read(InputStream in, int cap) throws IOException {
    long len = 0;
    for (int i = 0; ; i++) {
      int b = in.read();
      if (b < 0) {
        if (i == 0) {
          return null;
        }
        throw new EOFException("the stream ended inside a frame length");
      }
      if (i == 5) {
        throw new IOException("a frame length longer than 5 bytes");
      }
      len |= (long) (b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) {
        break;
      }
    }
    if (len < 1 || len - 1 > cap) {
      throw new IOException("a frame of " + len + " bytes (cap " + cap + ")");
    }
    int type = in.read();
    byte[] payload = in.readNBytes((int) len - 1);
    if (type < 0 || payload.length != len - 1) {
      throw new EOFException("the stream ended inside a frame");
    }
    return new Frame(type, payload);
  }

  /** Every frame until the stream ends. */
  static List<Frame> readAll(InputStream in, int cap) throws IOException {
    List<Frame> out = new ArrayList<>();
    for (Frame f; (f = read(in, cap)) != null; ) {
      out.add(f);
    }
    return out;
  }

  /** RFC 8785 as docs/receipts.md §3 restricts it: sorted keys (UTF-16 order), integers, no whitespace. */
  static byte[] canonical(JsonNode n) {
    StringBuilder b = new StringBuilder();
    canonical(n, b);
    return b.toString().getBytes(StandardCharsets.UTF_8);
  }

  private static void canonical(JsonNode n, StringBuilder b) {
    if (n.isObject()) {
      List<String> keys = new ArrayList<>(n.propertyNames());
      keys.sort(String::compareTo); // String order is UTF-16 code unit order
      b.append('{');
      for (int i = 0; i < keys.size(); i++) {
        if (i > 0) {
          b.append(',');
        }
        string(keys.get(i), b);
        b.append(':');
        canonical(n.get(keys.get(i)), b);
      }
      b.append('}');
    } else if (n.isArray()) {
      b.append('[');
      for (int i = 0; i < n.size(); i++) {
        if (i > 0) {
          b.append(',');
        }
        canonical(n.get(i), b);
      }
      b.append(']');
    } else if (n.isString()) {
      string(n.asString(), b);
    } else if (n.isIntegralNumber()) {
      b.append(n.asLong());
    } else if (n.isBoolean() || n.isNull()) {
      b.append(n.toString());
    } else {
      throw new IllegalArgumentException("no canonical form for " + n);
    }
  }

  private static void string(String s, StringBuilder b) {
    b.append('"');
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      switch (c) {
        case '"' -> b.append("\\\"");
        case '\\' -> b.append("\\\\");
        case '\b' -> b.append("\\b");
        case '\t' -> b.append("\\t");
        case '\n' -> b.append("\\n");
        case '\f' -> b.append("\\f");
        case '\r' -> b.append("\\r");
        default -> {
          if (c < 0x20) {
            b.append(String.format("\\u%04x", (int) c));
          } else {
            b.append(c);
          }
        }
      }
    }
    b.append('"');
  }
}
