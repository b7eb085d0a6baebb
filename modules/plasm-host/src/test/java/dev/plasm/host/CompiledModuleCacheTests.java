package dev.plasm.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.ModuleRejectedException;
import dev.plasm.api.RejectionKind;
import dev.plasm.engine.spi.CompiledModule;
import dev.plasm.engine.spi.ExecutionRequest;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** The compiled-module cache: hits, misses, and its two bounds. */
class CompiledModuleCacheTests {
  /** A compiled module that is only an identity: the cache never runs what it holds. */
  private record Compiled(String engineId) implements CompiledModule {
    @Override
    public ExecutionOutcome run(ExecutionRequest request) {
      throw new UnsupportedOperationException();
    }
  }

  private final AtomicInteger compiles = new AtomicInteger();

  private CompiledModule compile() {
    compiles.incrementAndGet();
    return new Compiled("e");
  }

  private static CompiledModuleCache.Key key(String sha) {
    return new CompiledModuleCache.Key("e@1", sha, false);
  }

  @Test
  void aModuleIsCompiledOnceAndTheKeyIncludesEngineAndFuelMetering() {
    CompiledModuleCache c = new CompiledModuleCache(8, 1 << 20);
    CompiledModule first = c.get(key("a"), 100, this::compile);
    assertSame(first, c.get(key("a"), 100, this::compile));
    assertNotSame(first, c.get(new CompiledModuleCache.Key("e@1", "a", true), 100, this::compile));
    assertNotSame(first, c.get(new CompiledModuleCache.Key("e@2", "a", false), 100, this::compile));
    assertEquals(3, compiles.get());
    assertEquals(new CompiledModuleCache.Stats(1, 3, 0, 3, 300), c.stats());
  }

  @Test
  void theLeastRecentlyUsedModuleGoesFirstWhenEitherBoundIsReached() {
    CompiledModuleCache byCount = new CompiledModuleCache(2, 1 << 20);
    CompiledModule a = byCount.get(key("a"), 10, this::compile);
    byCount.get(key("b"), 10, this::compile);
    byCount.get(key("a"), 10, this::compile); // a is now the most recent
    byCount.get(key("c"), 10, this::compile); // evicts b
    assertSame(a, byCount.get(key("a"), 10, this::compile));
    byCount.get(key("b"), 10, this::compile);
    assertEquals(4, compiles.get(), "b was compiled again after its eviction");

    CompiledModuleCache byBytes = new CompiledModuleCache(100, 250);
    byBytes.get(key("x"), 100, this::compile);
    byBytes.get(key("y"), 100, this::compile);
    byBytes.get(key("z"), 100, this::compile); // 300 > 250: x goes
    assertEquals(new CompiledModuleCache.Stats(0, 3, 1, 2, 200), byBytes.stats());
  }

  @Test
  void tooLargeModulesAndAZeroSizedCacheAreNotKeptAndFailedCompilationsNeither() {
    CompiledModuleCache small = new CompiledModuleCache(8, 50);
    small.get(key("big"), 51, this::compile);
    small.get(key("big"), 51, this::compile);
    assertEquals(2, compiles.get());
    CompiledModuleCache off = new CompiledModuleCache(0, 1 << 20);
    off.get(key("a"), 1, this::compile);
    off.get(key("a"), 1, this::compile);
    assertEquals(4, compiles.get());
    assertEquals(0, off.stats().entries());

    CompiledModuleCache c = new CompiledModuleCache(8, 1 << 20);
    assertThrows(
        ModuleRejectedException.class,
        () ->
            c.get(
                key("bad"),
                1,
                () -> {
                  throw new ModuleRejectedException(RejectionKind.MALFORMED, "not wasm");
                }));
    assertEquals(0, c.stats().entries());
    assertThrows(IllegalArgumentException.class, () -> new CompiledModuleCache(-1, 1));
  }
}
