package dev.plasm.engine.wasmtime.internal;

import dev.plasm.api.LimitExceededException;
import dev.plasm.engine.spi.Determinism;
import dev.plasm.engine.spi.WasiConfig;
import dev.plasm.engine.spi.support.DeterministicClock;
import dev.plasm.engine.spi.support.DeterministicRandom;
import io.github.kawamuray.wasmtime.Func;
import io.github.kawamuray.wasmtime.FuncType;
import io.github.kawamuray.wasmtime.Memory;
import io.github.kawamuray.wasmtime.Store;
import io.github.kawamuray.wasmtime.Val;
import io.github.kawamuray.wasmtime.WasmFunctionError;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/**
 * The WASI functions the engine serves in Java for one run: stdio on the request's streams,
 * {@code proc_exit} with any code, and the recorded clock and random of a deterministic run.
 *
 * <p>A handler must not let an exception escape by accident: wasmtime-java turns it into a trap
 * with only its message. Stream failures the host caused on purpose (a {@link
 * LimitExceededException} from a capped stream) are recorded here, then thrown to stop the guest at
 * once; the run maps the recorded failure, not the trap.
 */
final class HostFunctions {
  // WASI errno values (wasi_snapshot_preview1).
  static final int ESUCCESS = 0;
  static final int EFAULT = 21;
  static final int EINVAL = 28;
  static final int EIO = 29;

  private static final Val.Type I32 = Val.Type.I32;
  private static final Val.Type I64 = Val.Type.I64;

  private final Store<Void> store;
  private final Memory memory;
  private final WasiConfig wasi;
  private final DeterministicClock clock;
  private final DeterministicRandom random;
  private volatile RuntimeException streamFailure;

  HostFunctions(Store<Void> store, Memory memory, WasiConfig wasi) {
    this.store = store;
    this.memory = memory;
    this.wasi = wasi;
    Determinism d = wasi.determinism();
    this.clock = d == null ? null : new DeterministicClock(d);
    this.random = d == null ? null : new DeterministicRandom(d);
  }

  /** The limit a stream reported, or another exception a stream threw; null if none. */
  RuntimeException streamFailure() {
    return streamFailure;
  }

  /** {@code proc_exit(code)}: unwinds the guest with the exit code unchanged, 126 and above too. */
  Func procExit() {
    return new Func(store, new FuncType(new Val.Type[] {I32}, new Val.Type[0]), (caller, params, results) -> {
      throw new WasmFunctionError.I32ExitError(params[0].i32());
    });
  }

  /** {@code (iovs, iovs_len, nread_ptr) -> errno}: reads fd 0 from the request's stdin. */
  Func stdinRead() {
    return new Func(store, new FuncType(new Val.Type[] {I32, I32, I32}, new Val.Type[] {I32}), (caller, params, results) -> {
      results[0] = Val.fromI32(readStdin(params[0].i32(), params[1].i32(), params[2].i32()));
    });
  }

  /** {@code (fd, iovs, iovs_len, nwritten_ptr) -> errno}: writes fd 1 or 2 to the request's stream. */
  Func stdioWrite() {
    return new Func(store, new FuncType(new Val.Type[] {I32, I32, I32, I32}, new Val.Type[] {I32}), (caller, params, results) -> {
      OutputStream out = params[0].i32() == 1 ? wasi.stdout() : wasi.stderr();
      results[0] = Val.fromI32(write(out, params[1].i32(), params[2].i32(), params[3].i32()));
    });
  }

  /** {@code clock_time_get(id, precision, time_ptr) -> errno} from the recorded clock. */
  Func deterministicClock() {
    return new Func(store, new FuncType(new Val.Type[] {I32, I64, I32}, new Val.Type[] {I32}), (caller, params, results) -> {
      int id = params[0].i32();
      if (id < 0 || id > 3) {
        results[0] = Val.fromI32(EINVAL);
        return;
      }
      ByteBuffer mem = memory();
      int ptr = params[2].i32();
      if (!inBounds(mem, ptr, 8)) {
        results[0] = Val.fromI32(EFAULT);
        return;
      }
      mem.putLong(ptr, clock.nextNanos());
      results[0] = Val.fromI32(ESUCCESS);
    });
  }

  /** {@code random_get(buf, len) -> errno} from the recorded seed. */
  Func deterministicRandom() {
    return new Func(store, new FuncType(new Val.Type[] {I32, I32}, new Val.Type[] {I32}), (caller, params, results) -> {
      ByteBuffer mem = memory();
      int ptr = params[0].i32();
      int len = params[1].i32();
      if (!inBounds(mem, ptr, len)) {
        results[0] = Val.fromI32(EFAULT);
        return;
      }
      byte[] bytes = new byte[len];
      random.nextBytes(bytes);
      mem.put(ptr, bytes);
      results[0] = Val.fromI32(ESUCCESS);
    });
  }

  private int readStdin(int iovs, int count, int nreadPtr) {
    ByteBuffer mem = memory();
    if (count < 0 || !inBounds(mem, iovs, 8L * count) || !inBounds(mem, nreadPtr, 4)) {
      return EFAULT;
    }
    InputStream in = wasi.stdin();
    long total = 0;
    try {
      for (int i = 0; i < count; i++) {
        int buf = mem.getInt(iovs + 8 * i);
        int len = mem.getInt(iovs + 8 * i + 4);
        if (!inBounds(mem, buf, len)) {
          return EFAULT;
        }
        if (len == 0) {
          continue;
        }
        // Like read(2): block for the first bytes only, then take what is there without waiting.
        if (total > 0 && in.available() <= 0) {
          break;
        }
        byte[] chunk = new byte[Math.min(len, 65_536)];
        int n = in.read(chunk, 0, chunk.length);
        if (n <= 0) {
          break;
        }
        mem.put(buf, chunk, 0, n);
        total += n;
        if (n < len) {
          break;
        }
      }
    } catch (IOException e) {
      return EIO;
    } catch (RuntimeException e) {
      throw stop(e);
    }
    mem.putInt(nreadPtr, (int) total);
    return ESUCCESS;
  }

  private int write(OutputStream out, int iovs, int count, int nwrittenPtr) {
    ByteBuffer mem = memory();
    if (count < 0 || !inBounds(mem, iovs, 8L * count) || !inBounds(mem, nwrittenPtr, 4)) {
      return EFAULT;
    }
    long total = 0;
    for (int i = 0; i < count; i++) {
      int len = mem.getInt(iovs + 8 * i + 4);
      if (!inBounds(mem, mem.getInt(iovs + 8 * i), len)) {
        return EFAULT;
      }
      total += len;
    }
    if (total > Integer.MAX_VALUE) {
      return EINVAL;
    }
    byte[] bytes = new byte[(int) total];
    int at = 0;
    for (int i = 0; i < count; i++) {
      int buf = mem.getInt(iovs + 8 * i);
      int len = mem.getInt(iovs + 8 * i + 4);
      mem.get(buf, bytes, at, len);
      at += len;
    }
    try {
      out.write(bytes);
      // A WASI fd write is a write(2): nothing may wait in a buffer of ours.
      out.flush();
    } catch (IOException e) {
      return EIO;
    } catch (RuntimeException e) {
      throw stop(e);
    }
    mem.putInt(nwrittenPtr, bytes.length);
    return ESUCCESS;
  }

  /** Records why a stream failed and returns the exception that unwinds the guest. */
  private RuntimeException stop(RuntimeException e) {
    if (streamFailure == null) {
      streamFailure = e;
    }
    // Thrown out of the handler, it traps the guest at this call: no epoch bump is needed (one
    // would also stop the engine's other runs).
    return e instanceof LimitExceededException ? e : new IllegalStateException("a guest stream failed: " + e, e);
  }

  private ByteBuffer memory() {
    // A fresh view each call: memory.grow may have moved the guest's memory since the last one.
    return memory.buffer(store).order(ByteOrder.LITTLE_ENDIAN);
  }

  private static boolean inBounds(ByteBuffer mem, long ptr, long len) {
    long p = ptr & 0xffff_ffffL;
    long l = len & 0xffff_ffffL;
    return p + l <= mem.capacity();
  }
}
