package dev.plasm.identity;

import java.io.ByteArrayOutputStream;

/**
 * Unsigned LEB128 varints as multiformats define them (minimal, at most 9 bytes), read from a
 * byte array with a cursor; protobuf's varints are the same for the values keys use.
 */
final class Varint {
  private static final int MAX_BYTES = 9;

  private final byte[] bytes;
  private int at;

  Varint(byte[] bytes, int from) {
    this.bytes = bytes;
    this.at = from;
  }

  /** The position after what has been read. */
  int position() {
    return at;
  }

  boolean atEnd() {
    return at == bytes.length;
  }

  /** Reads one varint; throws {@link IllegalArgumentException} if it is truncated or not minimal. */
  long next() {
    long value = 0;
    for (int i = 0; i < MAX_BYTES; i++) {
      if (at >= bytes.length) {
        throw new IllegalArgumentException("truncated varint at byte " + at);
      }
      int b = bytes[at++] & 0xff;
      value |= (long) (b & 0x7f) << (7 * i);
      if ((b & 0x80) == 0) {
        if (b == 0 && i > 0) {
          throw new IllegalArgumentException("non-minimal varint ending at byte " + (at - 1));
        }
        return value;
      }
    }
    throw new IllegalArgumentException(
        "varint longer than " + MAX_BYTES + " bytes at byte " + (at - MAX_BYTES));
  }

  /** Reads {@code n} bytes. */
  byte[] take(long n) {
    if (n < 0 || n > bytes.length - at) {
      throw new IllegalArgumentException(
          n + " bytes declared at byte " + at + " but " + (bytes.length - at) + " remain");
    }
    byte[] out = java.util.Arrays.copyOfRange(bytes, at, at + (int) n);
    at += (int) n;
    return out;
  }

  static void write(ByteArrayOutputStream out, long value) {
    while ((value & ~0x7fL) != 0) {
      out.write((int) ((value & 0x7f) | 0x80));
      value >>>= 7;
    }
    out.write((int) value);
  }
}
