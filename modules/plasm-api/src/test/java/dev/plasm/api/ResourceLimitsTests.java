package dev.plasm.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

class ResourceLimitsTests {
  private static final ResourceLimits D = ResourceLimits.DEFAULTS;

  @Test
  void defaultsAreValidAndSane() {
    assertEquals(4096, D.maxMemoryPages());
    assertEquals(Duration.ofSeconds(60), D.timeout());
    assertTrue(D.fuel().isEmpty());
  }

  @Test
  void everyOutOfRangeValueIsRefusedNamingItsLimit() {
    assertEquals(Limit.MEMORY, limit(() -> D.withMaxMemoryBytes(0)));
    assertEquals(Limit.MEMORY, limit(() -> D.withMaxMemoryBytes((4L << 30) + 65536)));
    assertEquals(Limit.MEMORY, limit(() -> D.withMaxMemoryBytes(100_000)));
    assertEquals(Limit.WALL_TIME, limit(() -> D.withTimeout(Duration.ZERO)));
    assertEquals(Limit.WALL_TIME, limit(() -> D.withTimeout(Duration.ofDays(2))));
    assertEquals(Limit.WALL_TIME, limit(() -> D.withTimeout(Duration.ofSeconds(-1))));
    assertEquals(Limit.FUEL, limit(() -> D.withFuel(OptionalLong.of(0))));
    assertEquals(Limit.OUTPUT, limit(() -> D.withMaxOutputBytes(-1)));
    assertEquals(Limit.MODULE_SIZE, limit(() -> D.withMaxModuleBytes(4)));
    assertEquals(Limit.TABLE, limit(() -> D.withMaxTableElements(Limit.TABLE.max() + 1)));
    assertEquals(Limit.CPUS, limit(() -> D.with(Limit.CPUS, 2)));
  }

  @Test
  void errorsCarryTheLimitAndEachEdgeNamesIt() {
    LimitValueException e =
        assertThrows(LimitValueException.class, () -> D.withMaxMemoryBytes(100_000));
    assertEquals("limits.maxMemoryBytes", e.field());
    assertEquals("--max-memory: " + e.problem(), e.messageFor(Limit.MEMORY.flag()));
    assertTrue(e.problem().contains("64KiB pages"), e.problem());
    assertFalse(e.problem().contains("--"), e.problem());
  }

  @Test
  void everyLimitButFuelIsRequiredAndTheDefaultsHaveThemAll() {
    for (Limit l : Limit.values()) {
      assertEquals(!l.optional(), D.get(l).isPresent(), l.toString());
    }
    assertEquals(
        Limit.TABLE,
        limit(
            () ->
                new ResourceLimits(
                    java.util.Map.of(Limit.MEMORY, 65536L)))); // the first missing one
  }

  @Test
  void limitsParseAndPrintAsPeopleWriteThem() {
    assertEquals(64L << 20, Limit.MEMORY.parse("64MiB"));
    assertEquals(5000, Limit.WALL_TIME.parse("5s"));
    assertEquals(1_000_000, Limit.FUEL.parse("1_000_000"));
    assertEquals("64MiB", Limit.MEMORY.format(64L << 20));
    assertEquals("24h", Limit.WALL_TIME.format(Limit.WALL_TIME.max()));
    assertEquals(Limit.FUEL, limit(() -> Limit.FUEL.parse("lots")));
    assertEquals(Limit.MEMORY, limit(() -> Limit.MEMORY.parse("12 parsecs")));
    for (Limit l : Limit.values()) {
      assertEquals(l, Limit.byJsonName(l.jsonName()));
      assertEquals(l, Limit.byId(l.id()));
    }
  }

  @Test
  void theWasm32MaximumIsAccepted() {
    assertEquals(65536, D.withMaxMemoryBytes(4L << 30).maxMemoryPages());
  }

  private static Limit limit(Runnable r) {
    return assertThrows(LimitValueException.class, r::run).limit();
  }
}
