package dev.plasm.engine.spi.support.wasi;

/**
 * The linear memory of the instance that calls a WASI function, as {@link WasiPreview1} sees it:
 * little-endian, addressed by unsigned 32-bit offsets. The WASI calls check every range against
 * {@link #size()} before they touch it (a bad pointer is {@code EFAULT}, not a trap), so an engine's
 * implementation may assume in-bounds arguments.
 */
public interface GuestMemory {
  /** The current size in bytes; memory.grow may change it between calls. */
  long size();

  /** Copies {@code len} bytes at {@code addr} into {@code dst[off..]}. */
  void read(int addr, byte[] dst, int off, int len);

  /** Copies {@code src[off..off+len]} to {@code addr}. */
  void write(int addr, byte[] src, int off, int len);

  int readInt(int addr);

  long readLong(int addr);

  void writeInt(int addr, int value);

  void writeLong(int addr, long value);

  default short readShort(int addr) {
    byte[] b = new byte[2];
    read(addr, b, 0, 2);
    return (short) ((b[0] & 0xff) | (b[1] & 0xff) << 8);
  }

  default void writeShort(int addr, short value) {
    write(addr, new byte[] {(byte) value, (byte) (value >> 8)}, 0, 2);
  }

  default byte readByte(int addr) {
    byte[] b = new byte[1];
    read(addr, b, 0, 1);
    return b[0];
  }

  default void writeByte(int addr, byte value) {
    write(addr, new byte[] {value}, 0, 1);
  }
}
