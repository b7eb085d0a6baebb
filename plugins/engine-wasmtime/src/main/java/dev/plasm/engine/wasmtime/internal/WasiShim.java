package dev.plasm.engine.wasmtime.internal;

import dev.plasm.engine.spi.support.wasi.WasiFunction;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;

/**
 * A small wasm module, built per guest module, that gives the guest each WASI function it imports as
 * a wasm function forwarding to one Java host function, {@code plasm.call(id, a0..a8)}:
 * wasmtime-java compiles a trampoline for every host function it creates (0.1-0.5 ms apiece), a cost
 * that would be paid per run and per import, while one host function plus an instance of this
 * module cost a few microseconds more than the guest's own instantiation.
 *
 * <p>Arguments reach Java as i64 ({@code i32}s zero-extended). With {@code nativeClock}, {@code
 * clock_time_get} on the realtime and monotonic clocks with an in-bounds pointer is wasmtime's own
 * (a Java call costs ~10 us; some guests read the clock in their inner loops); every other case goes
 * to Java. wasmtime's WASI finds memory as the caller's export "memory", so that variant imports the
 * guest's memory and exports it again.
 */
final class WasiShim {
  /** Arguments of the dispatch function after the function id; path_open has the most, nine. */
  static final int ARGS = 9;

  static final String MODULE = "plasm";
  static final String CALL = "call";

  private static final int I32 = 0x7f;
  private static final int I64 = 0x7e;

  private WasiShim() {}

  /**
   * The shim of the functions of {@code all} named in {@code names} (a module's imports: compiling
   * only those keeps the shim's compile in the millisecond); a function's id in {@code call} is its
   * index in {@code all}. Names WASI does not have are left out (the module is then unlinkable).
   */
  static byte[] build(List<WasiFunction> all, Set<String> names, boolean nativeClock) {
    List<WasiFunction> functions = new ArrayList<>();
    List<Integer> ids = new ArrayList<>();
    for (int i = 0; i < all.size(); i++) {
      if (names.contains(all.get(i).name())) {
        functions.add(all.get(i));
        ids.add(i);
      }
    }
    ByteArrayOutputStream types = new ByteArrayOutputStream();
    int typeCount = 1 + functions.size() + 1;
    WasmBinary.writeU32(types, typeCount);
    // type 0: call(id i32, a0..a8 i64) -> i32
    types.write(0x60);
    WasmBinary.writeU32(types, 1 + ARGS);
    types.write(I32);
    for (int i = 0; i < ARGS; i++) {
      types.write(I64);
    }
    WasmBinary.writeU32(types, 1);
    types.write(I32);
    // types 1..n: each WASI function's own
    for (WasiFunction f : functions) {
      types.write(0x60);
      WasmBinary.writeU32(types, f.params().size());
      for (WasiFunction.Type t : f.params()) {
        types.write(t == WasiFunction.Type.I64 ? I64 : I32);
      }
      WasmBinary.writeU32(types, f.hasResult() ? 1 : 0);
      if (f.hasResult()) {
        types.write(I32);
      }
    }
    // type n+1: clock_time_get(id i32, precision i64, out i32) -> i32, for the native import
    types.write(0x60);
    WasmBinary.writeU32(types, 3);
    types.write(I32);
    types.write(I64);
    types.write(I32);
    WasmBinary.writeU32(types, 1);
    types.write(I32);
    int clockType = typeCount - 1;

    ByteArrayOutputStream imports = new ByteArrayOutputStream();
    WasmBinary.writeU32(imports, nativeClock ? 3 : 1);
    name(imports, MODULE);
    name(imports, CALL);
    imports.write(WasmBinary.KIND_FUNC);
    WasmBinary.writeU32(imports, 0);
    int nativeClockFunc = -1;
    if (nativeClock) {
      name(imports, MODULE);
      name(imports, "memory");
      imports.write(WasmBinary.KIND_MEMORY);
      imports.write(0); // limits: min 0, no max (any memory matches)
      imports.write(0);
      name(imports, "wasi");
      name(imports, "clock_time_get");
      imports.write(WasmBinary.KIND_FUNC);
      WasmBinary.writeU32(imports, clockType);
      nativeClockFunc = 1;
    }
    int firstDefined = nativeClock ? 2 : 1;

    ByteArrayOutputStream funcs = new ByteArrayOutputStream();
    WasmBinary.writeU32(funcs, functions.size());
    for (int i = 0; i < functions.size(); i++) {
      WasmBinary.writeU32(funcs, 1 + i);
    }

    ByteArrayOutputStream exports = new ByteArrayOutputStream();
    WasmBinary.writeU32(exports, functions.size() + (nativeClock ? 1 : 0));
    for (int i = 0; i < functions.size(); i++) {
      name(exports, functions.get(i).name());
      exports.write(WasmBinary.KIND_FUNC);
      WasmBinary.writeU32(exports, firstDefined + i);
    }
    if (nativeClock) {
      name(exports, "memory");
      exports.write(WasmBinary.KIND_MEMORY);
      WasmBinary.writeU32(exports, 0);
    }

    ByteArrayOutputStream code = new ByteArrayOutputStream();
    WasmBinary.writeU32(code, functions.size());
    for (int i = 0; i < functions.size(); i++) {
      WasiFunction f = functions.get(i);
      ByteArrayOutputStream body = new ByteArrayOutputStream();
      body.write(0); // no locals
      if (nativeClock && f.name().equals("clock_time_get")) {
        // if (id < 2 && out + 8 <= memory size) native else Java
        localGet(body, 0);
        body.write(0x41); // i32.const 2
        writeS32(body, 2);
        body.write(0x49); // i32.lt_u
        localGet(body, 2);
        body.write(0xad); // i64.extend_i32_u
        body.write(0x42); // i64.const 8
        writeS32(body, 8);
        body.write(0x7c); // i64.add
        body.write(0x3f); // memory.size
        body.write(0x00);
        body.write(0xad);
        body.write(0x42); // i64.const 65536
        writeS32(body, 65536);
        body.write(0x7e); // i64.mul
        body.write(0x58); // i64.le_u
        body.write(0x71); // i32.and
        body.write(0x04); // if (result i32)
        body.write(I32);
        localGet(body, 0);
        localGet(body, 1);
        localGet(body, 2);
        body.write(0x10); // call native clock
        WasmBinary.writeU32(body, nativeClockFunc);
        body.write(0x05); // else
        forward(body, ids.get(i), f);
        body.write(0x0b); // end if
      } else {
        forward(body, ids.get(i), f);
        if (!f.hasResult()) {
          body.write(0x1a); // drop: proc_exit returns nothing (Java throws before returning)
        }
      }
      body.write(0x0b); // end
      WasmBinary.writeU32(code, body.size());
      code.writeBytes(body.toByteArray());
    }

    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0});
    section(out, 1, types);
    section(out, 2, imports);
    section(out, 3, funcs);
    section(out, 7, exports);
    section(out, 10, code);
    return out.toByteArray();
  }

  /** {@code call(id, args as i64, zeros)}: the Java dispatch with function {@code id}. */
  private static void forward(ByteArrayOutputStream body, int id, WasiFunction f) {
    body.write(0x41); // i32.const id
    writeS32(body, id);
    for (int p = 0; p < f.params().size(); p++) {
      localGet(body, p);
      if (f.params().get(p) == WasiFunction.Type.I32) {
        body.write(0xad); // i64.extend_i32_u
      }
    }
    for (int p = f.params().size(); p < ARGS; p++) {
      body.write(0x42); // i64.const 0
      body.write(0);
    }
    body.write(0x10); // call $call
    body.write(0);
  }

  private static void localGet(ByteArrayOutputStream b, int index) {
    b.write(0x20);
    WasmBinary.writeU32(b, index);
  }

  /** A signed LEB128 (the encoding of i32.const and i64.const immediates) of a non-negative value. */
  private static void writeS32(ByteArrayOutputStream b, int v) {
    while (true) {
      int byte7 = v & 0x7f;
      v >>= 7;
      if (v == 0 && (byte7 & 0x40) == 0) {
        b.write(byte7);
        return;
      }
      b.write(byte7 | 0x80);
    }
  }

  private static void name(ByteArrayOutputStream b, String s) {
    byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
    WasmBinary.writeU32(b, bytes.length);
    b.writeBytes(bytes);
  }

  private static void section(ByteArrayOutputStream out, int id, ByteArrayOutputStream payload) {
    out.write(id);
    WasmBinary.writeU32(out, payload.size());
    out.writeBytes(payload.toByteArray());
  }
}
