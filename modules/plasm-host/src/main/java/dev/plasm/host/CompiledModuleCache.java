package dev.plasm.host;

import dev.plasm.engine.spi.CompiledModule;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * A bounded least-recently-used cache of compiled modules, so a process that runs the same module
 * many times (a daemon worker) compiles it once.
 *
 * <p>Entries are keyed by engine, the SHA-256 of the exact bytes compiled (after any {@code
 * ModuleLimits} rewrite, so differently capped variants never collide) and whether fuel is metered;
 * engines read every other limit from the run's request, as the engine SPI requires. Only
 * successful compilations are cached: a rejected module is rejected again, cheaply, by the parser.
 * The cache is bounded by entries and by the total size of the cached modules' binaries (a proxy
 * for their compiled size).
 */
public final class CompiledModuleCache {

  /** What a compiled module is cached under. */
  public record Key(String engineId, String sha256, boolean meterFuel) {
    public Key {
      Objects.requireNonNull(engineId, "engineId");
      Objects.requireNonNull(sha256, "sha256");
    }
  }

  /** Counters, for logs and tests. */
  public record Stats(long hits, long misses, long evictions, int entries, long bytes) {}

  private record Entry(CompiledModule module, long bytes) {}

  private final int maxEntries;
  private final long maxBytes;
  private final LinkedHashMap<Key, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
  private long bytes;
  private long hits;
  private long misses;
  private long evictions;

  /**
   * @param maxEntries most modules kept (0 disables caching)
   * @param maxBytes most total binary bytes kept
   */
  public CompiledModuleCache(int maxEntries, long maxBytes) {
    if (maxEntries < 0) {
      throw new IllegalArgumentException("maxEntries must be >= 0: " + maxEntries);
    }
    if (maxBytes < 0) {
      throw new IllegalArgumentException("maxBytes must be >= 0: " + maxBytes);
    }
    this.maxEntries = maxEntries;
    this.maxBytes = maxBytes;
  }

  /**
   * The cached module for {@code key}, else what {@code compile} returns (cached when it fits).
   * Compilation runs outside the lock, so a slow compile never blocks lookups of other modules.
   */
  public CompiledModule get(Key key, long binaryBytes, Supplier<CompiledModule> compile) {
    synchronized (this) {
      Entry e = entries.get(key);
      if (e != null) {
        hits++;
        return e.module();
      }
      misses++;
    }
    CompiledModule m = compile.get();
    if (maxEntries == 0 || binaryBytes > maxBytes) {
      return m;
    }
    synchronized (this) {
      Entry old = entries.put(key, new Entry(m, binaryBytes));
      bytes += binaryBytes - (old == null ? 0 : old.bytes());
      Iterator<Map.Entry<Key, Entry>> it = entries.entrySet().iterator();
      while ((entries.size() > maxEntries || bytes > maxBytes) && it.hasNext()) {
        Map.Entry<Key, Entry> eldest = it.next();
        if (eldest.getKey().equals(key)) {
          continue;
        }
        bytes -= eldest.getValue().bytes();
        it.remove();
        evictions++;
      }
    }
    return m;
  }

  public synchronized Stats stats() {
    return new Stats(hits, misses, evictions, entries.size(), bytes);
  }
}
