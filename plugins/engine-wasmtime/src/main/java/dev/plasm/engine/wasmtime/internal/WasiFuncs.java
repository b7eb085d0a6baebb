package dev.plasm.engine.wasmtime.internal;

import dev.plasm.api.LimitExceededException;
import dev.plasm.engine.spi.support.wasi.GuestInterruptedException;
import dev.plasm.engine.spi.support.wasi.GuestMemory;
import dev.plasm.engine.spi.support.wasi.WasiExitException;
import dev.plasm.engine.spi.support.wasi.WasiFunction;
import dev.plasm.engine.spi.support.wasi.WasiPreview1;
import io.github.kawamuray.wasmtime.Func;
import io.github.kawamuray.wasmtime.FuncType;
import io.github.kawamuray.wasmtime.Memory;
import io.github.kawamuray.wasmtime.Store;
import io.github.kawamuray.wasmtime.Val;
import io.github.kawamuray.wasmtime.WasmFunctionError;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;

/**
 * Plasm's WASI ({@link WasiPreview1}) as a wasmtime host function for one run: the same
 * implementation the Chicory engines use, so a guest sees the same WASI on every engine.
 *
 * <p>A function must not let an exception escape by accident: wasmtime-java turns it into a trap
 * with only its message. {@code proc_exit} becomes wasmtime's exit error; an interrupted wait and
 * what a stream threw (the host's output cap) are recorded here, then thrown to stop the guest at
 * once; the run maps the recorded cause, not the trap.
 */
final class WasiFuncs {
  private final Store<Void> store;
  private final Memory memory;
  private final boolean checkInterrupts;
  private final List<WasiFunction> functions;
  private volatile RuntimeException stop;

  /**
   * {@code memory} is the guest's (the run creates it), or null for a guest without one. With
   * {@code checkInterrupts}, every call first looks at the thread's interrupt flag: an engine without
   * epochs can stop a guest there, at its next WASI call.
   */
  WasiFuncs(WasiPreview1 wasi, Store<Void> store, Memory memory, boolean checkInterrupts) {
    this.store = store;
    this.memory = memory;
    this.checkInterrupts = checkInterrupts;
    this.functions = wasi.functions();
  }

  /** Why a call stopped the guest (a stream's exception or an interrupt), or null. */
  RuntimeException stop() {
    return stop;
  }

  /**
   * The one host function behind every WASI function of a store: {@code call(id, a0..a8)} (see
   * {@link WasiShim}), {@code id} being the function's index in {@link WasiPreview1#functions()}. It
   * serves whichever run {@link PreparedStore#bind} gave the store; creating it is the expensive part
   * of a store (wasmtime compiles a trampoline for it), so it is made with the store.
   */
  static Func dispatch(Store<Void> store, PreparedStore prepared) {
    Val.Type[] params = new Val.Type[1 + WasiShim.ARGS];
    params[0] = Val.Type.I32;
    for (int i = 1; i < params.length; i++) {
      params[i] = Val.Type.I64;
    }
    return new Func(
        store,
        new FuncType(params, new Val.Type[] {Val.Type.I32}),
        (caller, in, out) -> prepared.run().call(in, out));
  }

  private void call(Val[] in, Val[] out) {
    WasiFunction f = functions.get(in[0].i32());
    long[] args = new long[f.params().size()];
    for (int i = 0; i < args.length; i++) {
      args[i] = in[1 + i].i64();
    }
    int errno;
    try {
      if (checkInterrupts && Thread.currentThread().isInterrupted()) {
        throw new GuestInterruptedException();
      }
      errno = f.body().call(new GuestBuffer(), args);
    } catch (WasiExitException e) {
      throw new WasmFunctionError.I32ExitError(e.exitCode());
    } catch (RuntimeException e) {
      if (stop == null) {
        stop = e;
      }
      // Thrown out of the function, it traps the guest at this call (the message is wasmtime's).
      throw e instanceof LimitExceededException || e instanceof GuestInterruptedException
          ? e
          : new IllegalStateException("a WASI call failed: " + e, e);
    }
    out[0] = Val.fromI32(errno);
  }

  /**
   * The guest's memory for the length of one call. The view is fetched once per call (a JNI call):
   * the guest does not run, so memory.grow cannot move it meanwhile.
   */
  private final class GuestBuffer implements GuestMemory {
    private ByteBuffer buffer;

    private ByteBuffer b() {
      if (buffer == null) {
        buffer =
            memory == null
                ? ByteBuffer.allocate(0)
                : memory.buffer(store).order(ByteOrder.LITTLE_ENDIAN);
      }
      return buffer;
    }

    @Override
    public long size() {
      return b().capacity();
    }

    @Override
    public void read(int addr, byte[] dst, int off, int len) {
      b().get(addr, dst, off, len);
    }

    @Override
    public void write(int addr, byte[] src, int off, int len) {
      b().put(addr, src, off, len);
    }

    @Override
    public int readInt(int addr) {
      return b().getInt(addr);
    }

    @Override
    public long readLong(int addr) {
      return b().getLong(addr);
    }

    @Override
    public void writeInt(int addr, int value) {
      b().putInt(addr, value);
    }

    @Override
    public void writeLong(int addr, long value) {
      b().putLong(addr, value);
    }

    @Override
    public short readShort(int addr) {
      return b().getShort(addr);
    }

    @Override
    public void writeShort(int addr, short value) {
      b().putShort(addr, value);
    }

    @Override
    public byte readByte(int addr) {
      return b().get(addr);
    }

    @Override
    public void writeByte(int addr, byte value) {
      b().put(addr, value);
    }
  }
}
