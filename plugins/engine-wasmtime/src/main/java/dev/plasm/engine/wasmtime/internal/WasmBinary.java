package dev.plasm.engine.wasmtime.internal;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads the parts of a module binary the engine needs before wasmtime sees it (imports, the type
 * of {@code _start}, the memory), moves the module's own memory into an import so that each run can
 * create it with its own cap, and turns its start function into an export.
 *
 * <p>Only the section structure and the sections named here are decoded; wasmtime validates the
 * rest. A {@link Malformed} means the bytes are not a well-formed module at this level.
 */
final class WasmBinary {

  /** The import the module's memory becomes; no real module can have asked for it (':' is unusual). */
  static final String MEMORY_MODULE = "plasm:engine";

  static final String MEMORY_NAME = "memory";

  /**
   * The export the module's start function becomes. wasmtime-java reports a trap or proc_exit in a
   * start function run by instantiation as a backtrace without its cause; called as an export right
   * after instantiation (nothing happens in between), it reports both as it does for {@code _start}.
   */
  static final String START_EXPORT = "plasm:engine/start";

  static final int KIND_FUNC = 0;
  static final int KIND_TABLE = 1;
  static final int KIND_MEMORY = 2;
  static final int KIND_GLOBAL = 3;

  /** One import, in order. */
  record Import(String module, String name, int kind) {}

  /**
   * The module's one memory.
   *
   * @param minPages initial size
   * @param maxPages declared maximum, or -1 for none
   */
  record MemoryLimits(long minPages, long maxPages) {}

  /**
   * What the engine learnt, and the bytes to compile.
   *
   * @param bytes the module with its memory turned into the import {@code plasm:engine.memory} when
   *     {@code memory} is set, otherwise the original bytes
   * @param imports the imports of {@code bytes}, in order
   * @param memory the memory that became an import, or null (no memory, or one already imported)
   * @param start whether {@code _start} is an exported function, and its parameter and result counts
   * @param startFunction whether the module had a start function, now the export {@link #START_EXPORT}
   */
  record Parsed(
      byte[] bytes,
      List<Import> imports,
      MemoryLimits memory,
      StartExport start,
      boolean startFunction) {}

  /** The {@code _start} export: absent, or a function with these counts of parameters and results. */
  record StartExport(boolean present, int params, int results) {
    static final StartExport ABSENT = new StartExport(false, 0, 0);

    boolean isCommandEntry() {
      return present && params == 0 && results == 0;
    }
  }

  /** The bytes are not a WebAssembly module (bad header, truncated, bad encoding). */
  static final class Malformed extends Exception {
    private static final long serialVersionUID = 1L;

    Malformed(String message) {
      super(message, null, false, false);
    }
  }

  private WasmBinary() {}

  static Parsed parse(byte[] wasm) throws Malformed {
    Reader r = new Reader(wasm, 0, wasm.length);
    if (wasm.length < 8 || r.u8() != 0 || r.u8() != 'a' || r.u8() != 's' || r.u8() != 'm') {
      throw new Malformed("not a WebAssembly module (the magic bytes \\0asm are missing)");
    }
    if (r.u8() != 1 || r.u8() != 0 || r.u8() != 0 || r.u8() != 0) {
      throw new Malformed("unsupported WebAssembly binary version (only version 1 exists)");
    }
    List<int[]> funcTypes = new ArrayList<>(); // {params, results} per type index
    List<Import> imports = new ArrayList<>();
    List<Integer> importedFuncTypes = new ArrayList<>();
    List<Integer> definedFuncTypes = new ArrayList<>();
    List<byte[]> definedMemories = new ArrayList<>();
    List<Section> sections = new ArrayList<>();
    MemoryLimits memory = null;
    int startExport = -1;
    long startFunction = -1;
    long exportCount = 0;

    while (r.pos < wasm.length) {
      int sectionStart = r.pos;
      int id = r.u8();
      long size = r.u32();
      if (size > wasm.length - r.pos) {
        throw new Malformed(
            "section "
                + id
                + " at offset "
                + sectionStart
                + " claims "
                + size
                + " bytes, past the end of the module");
      }
      int end = r.pos + (int) size;
      Reader s = new Reader(wasm, r.pos, end);
      int contentStart = r.pos;
      switch (id) {
        case 0 -> s.name(); // a custom section's name must fit in it
        case 1 -> {
          long n = s.u32();
          for (long i = 0; i < n; i++) {
            int form = s.u8();
            if (form != 0x60) {
              throw new Malformed(
                  "type " + i + " is not a function type (0x" + Integer.toHexString(form) + ")");
            }
            int params = s.skipValTypes();
            int results = s.skipValTypes();
            funcTypes.add(new int[] {params, results});
          }
        }
        case 2 -> {
          long n = s.u32();
          contentStart = s.pos;
          for (long i = 0; i < n; i++) {
            String module = s.name();
            String name = s.name();
            int kind = s.u8();
            switch (kind) {
              case KIND_FUNC -> importedFuncTypes.add((int) s.u32());
              case KIND_TABLE -> {
                s.u8();
                s.limits();
              }
              case KIND_MEMORY -> s.limits();
              case KIND_GLOBAL -> {
                s.u8();
                s.u8();
              }
              case 4 -> { // tag (exception handling)
                s.u8();
                s.u32();
              }
              default ->
                  throw new Malformed(
                      "import " + module + "::" + name + " has unknown kind " + kind);
            }
            imports.add(new Import(module, name, kind));
          }
        }
        case 3 -> {
          long n = s.u32();
          for (long i = 0; i < n; i++) {
            definedFuncTypes.add((int) s.u32());
          }
        }
        case 5 -> {
          long n = s.u32();
          for (long i = 0; i < n; i++) {
            int from = s.pos;
            long[] limits = s.limits();
            definedMemories.add(java.util.Arrays.copyOfRange(wasm, from, s.pos));
            if (n == 1 && (limits[0] & ~1L) == 0) { // not shared, not 64-bit
              memory = new MemoryLimits(limits[1], limits[2]);
            }
          }
        }
        case 7 -> {
          exportCount = s.u32();
          contentStart = s.pos;
          for (long i = 0; i < exportCount; i++) {
            String name = s.name();
            int kind = s.u8();
            long index = s.u32();
            if (name.equals("_start") && kind == KIND_FUNC) {
              startExport = (int) Math.min(index, Integer.MAX_VALUE);
            }
          }
        }
        case 8 -> startFunction = s.u32();
        default -> {
          // Other sections are wasmtime's to decode and validate.
        }
      }
      sections.add(new Section(id, sectionStart, contentStart, end));
      r.pos = end;
    }

    StartExport start = StartExport.ABSENT;
    if (startExport >= 0) {
      int typeIndex =
          startExport < importedFuncTypes.size()
              ? importedFuncTypes.get(startExport)
              : startExport - importedFuncTypes.size() < definedFuncTypes.size()
                  ? definedFuncTypes.get(startExport - importedFuncTypes.size())
                  : -1;
      if (typeIndex >= 0 && typeIndex < funcTypes.size()) {
        int[] t = funcTypes.get(typeIndex);
        start = new StartExport(true, t[0], t[1]);
      } else {
        start = new StartExport(true, -1, -1); // an invalid index: wasmtime rejects the module
      }
    }

    boolean memoryImported = imports.stream().anyMatch(i -> i.kind() == KIND_MEMORY);
    boolean moveMemory = memory != null && !memoryImported && definedMemories.size() == 1;
    boolean moveStart = startFunction >= 0;
    if (!moveMemory && !moveStart) {
      return new Parsed(wasm, List.copyOf(imports), null, start, false);
    }

    // The memory moves into the import section (memory index 0 stays index 0: imported memories
    // come first and there is no other); the start function becomes an export the run calls.
    byte[] memoryImport = null;
    if (moveMemory) {
      ByteArrayOutputStream entry = new ByteArrayOutputStream();
      writeName(entry, MEMORY_MODULE);
      writeName(entry, MEMORY_NAME);
      entry.write(KIND_MEMORY);
      entry.writeBytes(definedMemories.get(0));
      memoryImport = entry.toByteArray();
    }
    byte[] startEntry = null;
    if (moveStart) {
      ByteArrayOutputStream entry = new ByteArrayOutputStream();
      writeName(entry, START_EXPORT);
      entry.write(KIND_FUNC);
      writeU32(entry, startFunction);
      startEntry = entry.toByteArray();
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(wasm.length + 64);
    out.write(wasm, 0, 8);
    boolean importsWritten = !moveMemory;
    boolean exportsWritten = !moveStart;
    for (Section sec : sections) {
      int rank = rank(sec.id());
      if (!importsWritten && rank > rank(2)) {
        writeSection(out, 2, entries(1, new byte[0], memoryImport));
        importsWritten = true;
      }
      if (!exportsWritten && rank > rank(7)) {
        writeSection(out, 7, entries(1, new byte[0], startEntry));
        exportsWritten = true;
      }
      if (sec.id() == 2 && moveMemory) {
        byte[] existing = java.util.Arrays.copyOfRange(wasm, sec.contentStart(), sec.end());
        writeSection(out, 2, entries(imports.size() + 1L, existing, memoryImport));
        importsWritten = true;
      } else if (sec.id() == 7 && moveStart) {
        byte[] existing = java.util.Arrays.copyOfRange(wasm, sec.contentStart(), sec.end());
        writeSection(out, 7, entries(exportCount + 1, existing, startEntry));
        exportsWritten = true;
      } else if (!(sec.id() == 5 && moveMemory) && !(sec.id() == 8 && moveStart)) {
        out.write(wasm, sec.start(), sec.end() - sec.start());
      }
    }
    if (!importsWritten) {
      writeSection(out, 2, entries(1, new byte[0], memoryImport));
    }
    if (!exportsWritten) {
      writeSection(out, 7, entries(1, new byte[0], startEntry));
    }
    List<Import> rewritten = new ArrayList<>(imports);
    if (moveMemory) {
      rewritten.add(new Import(MEMORY_MODULE, MEMORY_NAME, KIND_MEMORY));
    }
    return new Parsed(
        out.toByteArray(), List.copyOf(rewritten), moveMemory ? memory : null, start, moveStart);
  }

  /** A section: where its id byte is, where its entries (after any count) begin, where it ends. */
  private record Section(int id, int start, int contentStart, int end) {}

  /** The position of a section id in the order the binary format requires; custom sections: 0. */
  private static int rank(int id) {
    return switch (id) {
      case 0 -> 0;
      case 1, 2, 3, 4, 5 -> id;
      case 13 -> 6; // tag
      case 6, 7, 8, 9 -> id + 1;
      case 12 -> 11; // data count
      case 10 -> 12;
      case 11 -> 13;
      default -> 14;
    };
  }

  /** A vector payload: the count, the existing entries, one more. */
  private static byte[] entries(long count, byte[] existing, byte[] extra) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    writeU32(b, count);
    b.writeBytes(existing);
    b.writeBytes(extra);
    return b.toByteArray();
  }

  private static void writeSection(ByteArrayOutputStream out, int id, byte[] payload) {
    out.write(id);
    writeU32(out, payload.length);
    out.writeBytes(payload);
  }

  private static void writeName(ByteArrayOutputStream out, String s) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    writeU32(out, b.length);
    out.writeBytes(b);
  }

  static void writeU32(ByteArrayOutputStream out, long v) {
    do {
      int b = (int) (v & 0x7f);
      v >>>= 7;
      out.write(v == 0 ? b : b | 0x80);
    } while (v != 0);
  }

  /** A bounded cursor; every read past {@code end} is {@link Malformed}, never an exception. */
  private static final class Reader {
    private final byte[] b;
    private final int end;
    int pos;

    Reader(byte[] b, int pos, int end) {
      this.b = b;
      this.pos = pos;
      this.end = end;
    }

    int u8() throws Malformed {
      if (pos >= end) {
        throw new Malformed(
            "unexpected end of " + (end == b.length ? "module" : "section") + " at offset " + pos);
      }
      return b[pos++] & 0xff;
    }

    long leb(int maxBits) throws Malformed {
      long result = 0;
      int shift = 0;
      while (true) {
        int x = u8();
        result |= (long) (x & 0x7f) << shift;
        shift += 7;
        if ((x & 0x80) == 0) {
          break;
        }
        if (shift >= maxBits) {
          throw new Malformed("integer too long at offset " + pos);
        }
      }
      if (maxBits < 64 && (result >>> maxBits) != 0) {
        throw new Malformed("integer too large at offset " + pos);
      }
      return result;
    }

    long u32() throws Malformed {
      return leb(32);
    }

    String name() throws Malformed {
      long len = u32();
      if (len > end - pos) {
        throw new Malformed("a name at offset " + pos + " runs past its section");
      }
      ByteBuffer bytes = ByteBuffer.wrap(b, pos, (int) len);
      pos += (int) len;
      try {
        return StandardCharsets.UTF_8
            .newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT)
            .decode(bytes)
            .toString();
      } catch (CharacterCodingException e) {
        throw new Malformed("a name at offset " + (pos - len) + " is not valid UTF-8");
      }
    }

    /** Returns {flags, min, max or -1}. */
    long[] limits() throws Malformed {
      int flags = u8();
      if (flags > 7) {
        throw new Malformed(
            "bad limits flags 0x" + Integer.toHexString(flags) + " at offset " + (pos - 1));
      }
      int bits = (flags & 4) != 0 ? 64 : 32;
      long min = leb(bits);
      long max = (flags & 1) != 0 ? leb(bits) : -1;
      return new long[] {flags, min, max};
    }

    int skipValTypes() throws Malformed {
      long n = u32();
      if (n > end - pos) {
        throw new Malformed("a type list at offset " + pos + " runs past its section");
      }
      for (long i = 0; i < n; i++) {
        int t = u8();
        // i32 i64 f32 f64 v128 funcref externref; anything else is a proposal wasmtime 7 lacks.
        if (t != 0x7f && t != 0x7e && t != 0x7d && t != 0x7c && t != 0x7b && t != 0x70
            && t != 0x6f) {
          throw new Malformed(
              "unknown value type 0x" + Integer.toHexString(t) + " at offset " + (pos - 1));
        }
      }
      return (int) n;
    }
  }
}
