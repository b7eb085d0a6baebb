package dev.plasm.transport.libp2p.internal.codec;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Writes protobuf fields in the order they are called, which is how the hand-written codecs keep
 * the deterministic encoding peer ids need (fields in number order, minimal varints).
 */
public final class ProtoWriter {
  private static final int VARINT = 0;
  private static final int LENGTH_DELIMITED = 2;
  private final ByteArrayOutputStream out = new ByteArrayOutputStream();

  public ProtoWriter varint(int field, long value) {
    tag(field, VARINT);
    out.writeBytes(Varint.encode(value));
    return this;
  }

  public ProtoWriter bytes(int field, byte[] value) {
    tag(field, LENGTH_DELIMITED);
    out.writeBytes(Varint.encode(value.length));
    out.writeBytes(value);
    return this;
  }

  public ProtoWriter string(int field, String value) {
    return bytes(field, value.getBytes(StandardCharsets.UTF_8));
  }

  private void tag(int field, int wireType) {
    out.writeBytes(Varint.encode(((long) field << 3) | wireType));
  }

  public byte[] toByteArray() {
    return out.toByteArray();
  }
}
