package dev.plasm.engine.chicory;

import com.dylibso.chicory.runtime.HostFunction;
import com.dylibso.chicory.runtime.Memory;
import com.dylibso.chicory.wasm.types.FunctionType;
import com.dylibso.chicory.wasm.types.ValType;
import dev.plasm.engine.spi.support.wasi.GuestMemory;
import dev.plasm.engine.spi.support.wasi.WasiFunction;
import dev.plasm.engine.spi.support.wasi.WasiPreview1;
import java.util.ArrayList;
import java.util.List;

/** Plasm's WASI ({@link WasiPreview1}) as Chicory host functions. */
final class ChicoryWasi {
  private ChicoryWasi() {}

  static HostFunction[] hostFunctions(WasiPreview1 wasi) {
    List<HostFunction> out = new ArrayList<>();
    for (WasiFunction f : wasi.functions()) {
      List<ValType> params = new ArrayList<>();
      for (WasiFunction.Type t : f.params()) {
        params.add(t == WasiFunction.Type.I64 ? ValType.I64 : ValType.I32);
      }
      FunctionType type = FunctionType.of(params, f.hasResult() ? List.of(ValType.I32) : List.of());
      WasiFunction.Body body = f.body();
      boolean result = f.hasResult();
      out.add(
          new HostFunction(
              WasiPreview1.MODULE,
              f.name(),
              type,
              (instance, args) -> {
                int errno = body.call(memory(instance.memory()), args);
                return result ? new long[] {errno} : null;
              }));
    }
    return out.toArray(HostFunction[]::new);
  }

  private static GuestMemory memory(Memory m) {
    return m == null ? NO_MEMORY : new ChicoryMemory(m);
  }

  /** A module without memory: every pointer is out of bounds. */
  private static final GuestMemory NO_MEMORY = new ChicoryMemory(null);

  /** Chicory's memory, little-endian like the guest's. */
  private record ChicoryMemory(Memory m) implements GuestMemory {
    @Override
    public long size() {
      return m == null ? 0 : (long) m.pages() * Memory.PAGE_SIZE;
    }

    @Override
    public void read(int addr, byte[] dst, int off, int len) {
      System.arraycopy(m.readBytes(addr, len), 0, dst, off, len);
    }

    @Override
    public void write(int addr, byte[] src, int off, int len) {
      m.write(addr, src, off, len);
    }

    @Override
    public int readInt(int addr) {
      return m.readInt(addr);
    }

    @Override
    public long readLong(int addr) {
      return m.readLong(addr);
    }

    @Override
    public void writeInt(int addr, int value) {
      m.writeI32(addr, value);
    }

    @Override
    public void writeLong(int addr, long value) {
      m.writeLong(addr, value);
    }

    @Override
    public short readShort(int addr) {
      return m.readShort(addr);
    }

    @Override
    public void writeShort(int addr, short value) {
      m.writeShort(addr, value);
    }

    @Override
    public byte readByte(int addr) {
      return m.read(addr);
    }

    @Override
    public void writeByte(int addr, byte value) {
      m.writeByte(addr, value);
    }
  }
}
