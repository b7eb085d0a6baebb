package dev.plasm.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
  void everyOutOfRangeValueIsRefusedNamingItsFlag() {
    assertEquals("--max-memory", field(() -> D.withMaxMemoryBytes(0)));
    assertEquals("--max-memory", field(() -> D.withMaxMemoryBytes((4L << 30) + 65536)));
    assertEquals("--max-memory", field(() -> D.withMaxMemoryBytes(100_000)));
    assertEquals("--timeout", field(() -> D.withTimeout(Duration.ZERO)));
    assertEquals("--timeout", field(() -> D.withTimeout(Duration.ofDays(2))));
    assertEquals("--timeout", field(() -> D.withTimeout(Duration.ofSeconds(-1))));
    assertEquals("--fuel", field(() -> D.withFuel(OptionalLong.of(0))));
    assertEquals("--max-output", field(() -> D.withMaxOutputBytes(-1)));
    assertEquals("--max-module-size", field(() -> D.withMaxModuleBytes(4)));
    assertEquals("--max-table-elements", field(() -> D.withMaxTableElements(ResourceLimits.MAX_TABLE_ELEMENTS + 1)));
  }

  @Test
  void theWasm32MaximumIsAccepted() {
    assertEquals(65536, D.withMaxMemoryBytes(4L << 30).maxMemoryPages());
  }

  private static String field(Runnable r) {
    return assertThrows(ConfigurationException.class, r::run).field();
  }
}
