package dev.plasm.engine.spi.support.wasi;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/** Checked access to the caller's memory: every range is bounds-checked first ({@code FAULT}). */
final class Guest {
  /** POSIX's IOV_MAX: more buffers in one call is {@code INVAL}. */
  static final int MAX_IOVECS = 1024;

  /** Host-side buffers are at most this large, however large the guest's buffers are. */
  static final int CHUNK = 64 * 1024;

  private Guest() {}

  /** An unsigned 32-bit argument. */
  static long u32(long arg) {
    return arg & 0xffff_ffffL;
  }

  static void check(GuestMemory m, long addr, long len) throws WasiError {
    long a = u32(addr);
    if (len < 0 || a + len > m.size()) {
      throw new WasiError(Abi.FAULT);
    }
  }

  static byte[] read(GuestMemory m, long addr, long len) throws WasiError {
    check(m, addr, len);
    byte[] b = new byte[(int) len];
    m.read((int) addr, b, 0, (int) len);
    return b;
  }

  static void write(GuestMemory m, long addr, byte[] b) throws WasiError {
    check(m, addr, b.length);
    m.write((int) addr, b, 0, b.length);
  }

  static void writeInt(GuestMemory m, long addr, int v) throws WasiError {
    check(m, addr, 4);
    m.writeInt((int) addr, v);
  }

  static void writeLong(GuestMemory m, long addr, long v) throws WasiError {
    check(m, addr, 8);
    m.writeLong((int) addr, v);
  }

  /** A UTF-8 string the guest passed as (pointer, length); invalid UTF-8 is {@code ILSEQ}. */
  static String string(GuestMemory m, long addr, long len) throws WasiError {
    long n = u32(len);
    if (n > 1 << 20) {
      throw new WasiError(Abi.NAMETOOLONG);
    }
    byte[] b = read(m, addr, n);
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b))
          .toString();
    } catch (CharacterCodingException e) {
      throw new WasiError(Abi.ILSEQ);
    }
  }

  /** The (address, length) pairs of an iovec array, each checked; {@code long[2n]}. */
  static long[] iovecs(GuestMemory m, long iovs, long count) throws WasiError {
    long n = u32(count);
    if (n > MAX_IOVECS) {
      throw new WasiError(Abi.INVAL);
    }
    check(m, iovs, 8 * n);
    long[] v = new long[(int) (2 * n)];
    for (int i = 0; i < n; i++) {
      long buf = u32(m.readInt((int) (u32(iovs) + 8 * i)));
      long len = u32(m.readInt((int) (u32(iovs) + 8 * i + 4)));
      check(m, buf, len);
      v[2 * i] = buf;
      v[2 * i + 1] = len;
    }
    return v;
  }

  /** The total length of checked iovecs (at most the memory's size, so it fits a long). */
  static long total(long[] iovecs) {
    long t = 0;
    for (int i = 1; i < iovecs.length; i += 2) {
      t += iovecs[i];
    }
    return t;
  }
}
