package dev.plasm.transport.libp2p.internal.codec;

import dev.plasm.transport.libp2p.MalformedMessageException;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * The multiformats unsigned varint: LEB128, minimally encoded, at most 9 bytes (63 bits).
 *
 * <p>Decoders refuse non-minimal encodings and values over 63 bits, as the multiformats spec
 * requires, so that every value has exactly one encoding (peer ids and multiaddrs are compared as
 * bytes).
 */
public final class Varint {
  /** The longest legal encoding: 9 bytes carry 63 bits. */
  public static final int MAX_BYTES = 9;

  private Varint() {}

  /** The number of bytes {@code value} encodes to. */
  public static int size(long value) {
    requireNonNegative(value);
    int n = 1;
    while ((value >>>= 7) != 0) {
      n++;
    }
    return n;
  }

  public static byte[] encode(long value) {
    byte[] out = new byte[size(value)];
    write(value, out, 0);
    return out;
  }

  /** Writes {@code value} at {@code offset} and returns the offset after it. */
  public static int write(long value, byte[] out, int offset) {
    requireNonNegative(value);
    while ((value & ~0x7FL) != 0) {
      out[offset++] = (byte) ((value & 0x7F) | 0x80);
      value >>>= 7;
    }
    out[offset++] = (byte) value;
    return offset;
  }

  public static void write(long value, OutputStream out) throws IOException {
    out.write(encode(value));
  }

  /**
   * Decodes a varint from {@code in} starting at {@code offset}; returns the value and sets
   * {@code end[0]} to the offset after it.
   */
  public static long decode(byte[] in, int offset, int limit, int[] end) {
    long value = 0;
    for (int i = 0; ; i++) {
      if (offset + i >= limit) {
        throw new MalformedMessageException("truncated varint");
      }
      int b = in[offset + i] & 0xFF;
      value = accumulate(value, b, i);
      if ((b & 0x80) == 0) {
        end[0] = offset + i + 1;
        return value;
      }
    }
  }

  /** Reads a varint; returns -1 on a clean end of stream before the first byte. */
  public static long read(InputStream in) throws IOException {
    long value = 0;
    for (int i = 0; ; i++) {
      int b = in.read();
      if (b < 0) {
        if (i == 0) {
          return -1;
        }
        throw new EOFException("end of stream inside a varint");
      }
      value = accumulate(value, b, i);
      if ((b & 0x80) == 0) {
        return value;
      }
    }
  }

  private static long accumulate(long value, int b, int index) {
    if (index == MAX_BYTES - 1 && (b & 0x80) != 0) {
      throw new MalformedMessageException("varint longer than " + MAX_BYTES + " bytes");
    }
    if (index > 0 && b == 0) {
      // A zero final byte after a continuation means the encoding was padded.
      throw new MalformedMessageException("varint is not minimally encoded");
    }
    return value | ((long) (b & 0x7F) << (7 * index));
  }

  private static void requireNonNegative(long value) {
    if (value < 0) {
      throw new IllegalArgumentException("varints encode 0..2^63-1, not " + value);
    }
  }
}
