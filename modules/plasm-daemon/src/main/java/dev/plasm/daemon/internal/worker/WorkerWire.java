package dev.plasm.daemon.internal.worker;

import dev.plasm.daemon.internal.store.Json;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The frames between the daemon and a worker, on the worker's stdin (jobs) and stdout (replies): a
 * length, a JSON header naming the lengths of the byte parts that follow, and those parts (a job's
 * stdin; its output and receipt). Bytes travel as bytes: nothing is encoded, and nothing is written
 * to disk to be read back.
 *
 * <pre>
 * frame := u32 headerLength | header (JSON, with "parts": [length, ...]) | part bytes, in order
 * </pre>
 */
public final class WorkerWire {
  private WorkerWire() {}

  /** The most header bytes a frame may have (a job's plan with its arguments and environment). */
  static final int MAX_HEADER = 64 << 20;

  /** A frame as read. */
  public record Frame(JsonNode header, byte[][] parts) {
    public byte[] part(int i) {
      return parts[i];
    }
  }

  /** Writes one frame (without flushing). */
  public static void write(DataOutputStream out, ObjectNode header, byte[]... parts)
      throws IOException {
    ArrayNode lengths = header.putArray("parts");
    for (byte[] p : parts) {
      lengths.add(p.length);
    }
    byte[] h = Json.LINE.writeValueAsBytes(header);
    out.writeInt(h.length);
    out.write(h);
    for (byte[] p : parts) {
      out.write(p);
    }
  }

  /**
   * Reads one frame whose parts are each at most {@code maxPart} bytes.
   *
   * @throws java.io.EOFException at the end of the stream (also within a frame: the writer died)
   * @throws IOException for a frame that breaks the protocol
   */
  public static Frame read(DataInputStream in, long maxPart) throws IOException {
    int n = in.readInt();
    if (n < 2 || n > MAX_HEADER) {
      throw new IOException("a frame header of " + n + " bytes");
    }
    byte[] h = in.readNBytes(n);
    if (h.length < n) {
      throw new java.io.EOFException();
    }
    JsonNode header;
    try {
      header = Json.MAPPER.readTree(h);
    } catch (RuntimeException e) {
      throw new IOException("a frame header that is not JSON: " + e.getMessage(), e);
    }
    JsonNode lengths = header.get("parts");
    int count = lengths == null ? 0 : lengths.size();
    byte[][] parts = new byte[count][];
    for (int i = 0; i < count; i++) {
      long len = lengths.get(i).asLong(-1);
      if (len < 0 || len > Math.min(maxPart, Integer.MAX_VALUE - 16)) {
        throw new IOException("a frame part of " + len + " bytes");
      }
      parts[i] = new byte[(int) len];
      in.readFully(parts[i]);
    }
    return new Frame(header, parts);
  }
}
