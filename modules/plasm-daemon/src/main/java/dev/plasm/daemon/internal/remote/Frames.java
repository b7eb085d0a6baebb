package dev.plasm.daemon.internal.remote;

import dev.plasm.daemon.internal.store.Json;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ProtocolException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The framing of Plasm's peer-to-peer protocols (docs/remote.md, "Framing"): a frame is an unsigned
 * varint of the length of what follows, then a type byte, then the payload. Control frames carry one
 * JSON object; output and module frames carry raw bytes. Every read is bounded by a cap on the frame
 * and by the caller's deadline (which resets the stream when it passes).
 */
final class Frames {
  private Frames() {}

  /** A JSON object. */
  static final int CONTROL = 1;

  /** Bytes of the guest's stdout. */
  static final int STDOUT = 2;

  /** Bytes of the guest's stderr. */
  static final int STDERR = 3;

  /** Bytes of a module. */
  static final int DATA = 4;

  /** The largest raw chunk sent in one frame. */
  static final int CHUNK = 256 * 1024;

  /** One frame as read. */
  record Frame(int type, byte[] payload) {
    JsonNode json() throws ProtocolException {
      if (type != CONTROL) {
        throw new ProtocolException("expected a control frame, got type " + type);
      }
      JsonNode n;
      try {
        n = Json.MAPPER.readTree(payload);
      } catch (RuntimeException e) {
        throw new ProtocolException("a control frame that is not JSON");
      }
      if (n == null || !n.isObject() || !n.has("type") || !n.get("type").isString()) {
        throw new ProtocolException("a control frame must be a JSON object with a string 'type'");
      }
      return n;
    }
  }

  /**
   * Writes one frame with one call: a peer stream turns every write into a muxer frame of its own
   * (and the reader on the other side into a wake-up), so the length, type and payload go together.
   */
  static void write(OutputStream out, int type, byte[] payload, int off, int len)
      throws IOException {
    byte[] frame = new byte[len + 6];
    int at = 0;
    long n = (long) len + 1;
    while (n >= 0x80) {
      frame[at++] = (byte) ((n & 0x7f) | 0x80);
      n >>>= 7;
    }
    frame[at++] = (byte) n;
    frame[at++] = (byte) type;
    System.arraycopy(payload, off, frame, at, len);
    out.write(frame, 0, at + len);
  }

  static void control(OutputStream out, ObjectNode message) throws IOException {
    byte[] b = Json.LINE.writeValueAsBytes(message);
    write(out, CONTROL, b, 0, b.length);
    out.flush();
  }

  /** Writes {@code bytes} as frames of {@code type}, in chunks. */
  static void data(OutputStream out, int type, byte[] bytes) throws IOException {
    for (int off = 0; off < bytes.length; off += CHUNK) {
      write(out, type, bytes, off, Math.min(CHUNK, bytes.length - off));
    }
  }

  /**
   * Reads one frame of at most {@code max} payload bytes; null at a clean end of the stream (before
   * a frame's first byte).
   */
  static Frame read(InputStream in, int max) throws IOException {
    long len = 0;
    int shift = 0;
    int b;
    while (true) {
      b = in.read();
      if (b < 0) {
        if (shift == 0) {
          return null;
        }
        throw new EOFException("the stream ended inside a frame length");
      }
      len |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        break;
      }
      shift += 7;
      if (shift > 35) {
        throw new ProtocolException("a frame length longer than 5 bytes");
      }
    }
    if (len < 1) {
      throw new ProtocolException("an empty frame (a frame has at least its type byte)");
    }
    if (len - 1 > max) {
      throw new ProtocolException(
          "a frame of " + (len - 1) + " bytes, over the " + max + "-byte limit");
    }
    int type = in.read();
    if (type < 0) {
      throw new EOFException("the stream ended inside a frame");
    }
    byte[] payload = in.readNBytes((int) (len - 1));
    if (payload.length != len - 1) {
      throw new EOFException("the stream ended inside a frame");
    }
    return new Frame(type, payload);
  }
}
