package dev.plasm.host;

import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.Limit;
import dev.plasm.api.RejectionKind;
import dev.plasm.api.ResourceLimits;
import dev.plasm.api.Usage;
import java.io.ByteArrayOutputStream;
import java.util.LinkedHashMap;

/**
 * Caps a module's memories and tables in its binary, for engines that cannot cap them at run time.
 *
 * <p>Each memory and table defined by the module gets the maximum {@code min(declared maximum,
 * cap)}, so the engine's own {@code memory.grow}/{@code table.grow} return -1 at the cap as the
 * spec requires; a declared initial size above the cap is refused before anything is compiled or
 * allocated. Only the memory and table sections are re-encoded; every other byte is copied.
 * Imported memories and tables are left alone: Plasm provides none, so such modules are
 * unlinkable anyway.
 */
final class ModuleLimits {
  private static final int SECTION_TABLE = 4;
  private static final int SECTION_MEMORY = 5;

  /** The capped module, or the outcome that refuses it. */
  sealed interface Result {
    /** The capped module and its SHA-256 (hex), which the compiled-module cache is keyed by. */
    record Capped(byte[] module, String sha256) implements Result {}

    record Refused(ExecutionOutcome outcome) implements Result {}
  }

  private ModuleLimits() {}

  /**
   * The last results of {@link #apply}, by the module's digest and the caps: a worker runs the same
   * module again and again, and rewriting and hashing it every time cost a copy and a SHA-256 of the
   * module per job. The name only appears in a refusal's message, which is kept with the name of
   * the job that first saw it.
   */
  static final class Memo {
    private record Key(String sha256, long memoryCap, long tableCap) {}

    private final int maxEntries;
    private final long maxBytes;
    private final LinkedHashMap<Key, Result.Capped> results = new LinkedHashMap<>(16, 0.75f, true);
    private long bytes;

    /**
     * @param maxEntries most modules remembered
     * @param maxBytes most bytes of capped modules remembered (a bigger module is not remembered)
     */
    Memo(int maxEntries, long maxBytes) {
      this.maxEntries = maxEntries;
      this.maxBytes = maxBytes;
    }

    /** {@link ModuleLimits#apply}, for a module whose SHA-256 is {@code sha256}. */
    Result apply(
        String name,
        byte[] wasm,
        String sha256,
        ResourceLimits limits,
        boolean memory,
        boolean tables) {
      Key key =
          new Key(
              sha256,
              memory ? limits.maxMemoryPages() : -1,
              tables ? limits.maxTableElements() : -1);
      synchronized (this) {
        Result.Capped r = results.get(key);
        if (r != null) {
          return r;
        }
      }
      Result r = ModuleLimits.apply(name, wasm, limits, memory, tables);
      // A refusal is not remembered: its message names this job's module, and refusals are rare.
      if (r instanceof Result.Capped c && c.module().length <= maxBytes) {
        synchronized (this) {
          Result.Capped old = results.put(key, c);
          bytes += c.module().length - (old == null ? 0 : old.module().length);
          while (results.size() > maxEntries || bytes > maxBytes) {
            bytes -= results.pollFirstEntry().getValue().module().length;
          }
        }
      }
      return r;
    }
  }

  static Result apply(
      String name, byte[] wasm, ResourceLimits limits, boolean memory, boolean tables) {
    try {
      byte[] capped = rewrite(wasm, limits, memory, tables);
      return new Result.Capped(capped, Hashing.sha256Hex(capped));
    } catch (Refusal r) {
      return new Result.Refused(r.outcome);
    } catch (Malformed | ArrayIndexOutOfBoundsException e) {
      return new Result.Refused(
          new ExecutionOutcome.Rejected(
              RejectionKind.MALFORMED,
              name
                  + ": malformed module: "
                  + (e.getMessage() == null ? "truncated" : e.getMessage())));
    }
  }

  private static byte[] rewrite(byte[] w, ResourceLimits limits, boolean memory, boolean tables) {
    if (w.length < 8 || w[0] != 0 || w[1] != 'a' || w[2] != 's' || w[3] != 'm') {
      throw new Malformed("bad magic number; a WebAssembly binary starts with \\0asm");
    }
    if (w[4] != 1 || w[5] != 0 || w[6] != 0 || w[7] != 0) {
      throw new Malformed("unknown binary version");
    }
    ByteArrayOutputStream out = new ByteArrayOutputStream(w.length + 16);
    out.write(w, 0, 8);
    int[] pos = {8};
    while (pos[0] < w.length) {
      int start = pos[0];
      int id = w[pos[0]++] & 0xff;
      long size = u32(w, pos);
      int bodyStart = pos[0];
      if (size > w.length - bodyStart) {
        throw new Malformed("section " + id + " runs past the end of the module");
      }
      int bodyEnd = bodyStart + (int) size;
      if (id == SECTION_MEMORY && memory) {
        section(out, id, memories(w, bodyStart, bodyEnd, limits.maxMemoryPages()));
      } else if (id == SECTION_TABLE && tables) {
        section(out, id, tables(w, bodyStart, bodyEnd, limits.maxTableElements()));
      } else {
        out.write(w, start, bodyEnd - start);
      }
      pos[0] = bodyEnd;
    }
    return out.toByteArray();
  }

  private static byte[] memories(byte[] w, int from, int to, long cap) {
    int[] pos = {from};
    long n = u32(w, pos);
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    leb(b, n);
    for (long i = 0; i < n; i++) {
      int flags = w[pos[0]++] & 0xff;
      if (flags > 1) {
        throw new Refusal(
            new ExecutionOutcome.Rejected(
                RejectionKind.UNSUPPORTED,
                "shared or 64-bit memories are not supported by this engine (limits flags 0x"
                    + Integer.toHexString(flags)
                    + ")"));
      }
      long min = u32(w, pos);
      long max = flags == 1 ? u32(w, pos) : 65_536;
      if (min > cap) {
        throw new Refusal(
            new ExecutionOutcome.LimitExceeded(
                Limit.MEMORY,
                "the module asks for "
                    + min
                    + " pages of initial memory, over the "
                    + cap
                    + "-page cap ("
                    + Limit.MEMORY.flag()
                    + "); nothing was allocated",
                Usage.NONE));
      }
      b.write(1);
      leb(b, min);
      leb(b, Math.min(max, cap));
    }
    if (pos[0] != to) {
      throw new Malformed("the memory section has trailing bytes");
    }
    return b.toByteArray();
  }

  private static byte[] tables(byte[] w, int from, int to, long cap) {
    int[] pos = {from};
    long n = u32(w, pos);
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    leb(b, n);
    for (long i = 0; i < n; i++) {
      int refType = w[pos[0]++] & 0xff;
      if (refType == 0x40) {
        throw new Refusal(
            new ExecutionOutcome.Rejected(
                RejectionKind.UNSUPPORTED,
                "tables with initialiser expressions are not supported by this engine"));
      }
      int flags = w[pos[0]++] & 0xff;
      if (flags > 1) {
        throw new Malformed("table limits flags 0x" + Integer.toHexString(flags));
      }
      long min = u32(w, pos);
      long max = flags == 1 ? u32(w, pos) : 0xffff_ffffL;
      if (min > cap) {
        throw new Refusal(
            new ExecutionOutcome.LimitExceeded(
                Limit.TABLE,
                "the module asks for a table of "
                    + min
                    + " elements, over the "
                    + cap
                    + "-element cap ("
                    + Limit.TABLE.flag()
                    + ")",
                Usage.NONE));
      }
      b.write(refType);
      b.write(1);
      leb(b, min);
      leb(b, Math.min(max, cap));
    }
    if (pos[0] != to) {
      throw new Malformed("the table section has trailing bytes");
    }
    return b.toByteArray();
  }

  private static void section(ByteArrayOutputStream out, int id, byte[] body) {
    out.write(id);
    leb(out, body.length);
    out.write(body, 0, body.length);
  }

  private static long u32(byte[] w, int[] pos) {
    long result = 0;
    for (int shift = 0; shift < 35; shift += 7) {
      int b = w[pos[0]++] & 0xff;
      result |= (long) (b & 0x7f) << shift;
      if ((b & 0x80) == 0) {
        if (result > 0xffff_ffffL) {
          throw new Malformed("integer too large");
        }
        return result;
      }
    }
    throw new Malformed("integer representation too long");
  }

  private static void leb(ByteArrayOutputStream out, long v) {
    do {
      int b = (int) (v & 0x7f);
      v >>>= 7;
      out.write(v != 0 ? b | 0x80 : b);
    } while (v != 0);
  }

  private static final class Malformed extends RuntimeException {
    private static final long serialVersionUID = 1L;

    Malformed(String m) {
      super(m, null, false, false);
    }
  }

  private static final class Refusal extends RuntimeException {
    private static final long serialVersionUID = 1L;
    private final transient ExecutionOutcome outcome;

    Refusal(ExecutionOutcome outcome) {
      super(null, null, false, false);
      this.outcome = outcome;
    }
  }
}
