package dev.plasm.api;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** Sizes and durations as users write them on the command line and in manifests. */
class UnitsTests {
  @Test
  void sizesTakeBinaryUnitsInAnyCommonSpelling() {
    assertEquals(64L << 20, ByteSize.parse("f", "64MiB"));
    assertEquals(64L << 20, ByteSize.parse("f", "64M"));
    assertEquals(64L << 20, ByteSize.parse("f", "64mb"));
    assertEquals(512L << 10, ByteSize.parse("f", "512KiB"));
    assertEquals(1L << 30, ByteSize.parse("f", "1g"));
    assertEquals(4096, ByteSize.parse("f", "4096"));
    assertEquals(4096, ByteSize.parse("f", " 4096B "));
  }

  @Test
  void badSizesNameTheField() {
    var e = assertThrows(ConfigurationException.class, () -> ByteSize.parse("--max-memory", "big"));
    assertEquals("--max-memory", e.field());
    assertTrue(e.getMessage().contains("'big' is not a size"));
    assertThrows(ConfigurationException.class, () -> ByteSize.parse("f", "-1"));
    assertThrows(ConfigurationException.class, () -> ByteSize.parse("f", "99999999999T"));
    assertThrows(ConfigurationException.class, () -> ByteSize.parse("f", "1.5G"));
  }

  @Test
  void sizesPrintInTheLargestExactUnit() {
    assertEquals("64MiB", ByteSize.format(64L << 20));
    assertEquals("1000B", ByteSize.format(1000));
    assertEquals("4GiB", ByteSize.format(4L << 30));
  }

  @Test
  void durations() {
    assertEquals(Duration.ofMillis(500), Durations.parse("t", "500ms"));
    assertEquals(Duration.ofSeconds(30), Durations.parse("t", "30s"));
    assertEquals(Duration.ofSeconds(30), Durations.parse("t", "30"));
    assertEquals(Duration.ofMinutes(2), Durations.parse("t", "2m"));
    assertEquals(Duration.ofHours(1), Durations.parse("t", "1H"));
    assertEquals(Duration.ofDays(7), Durations.parse("t", "7d"));
    assertEquals(
        "--timeout",
        assertThrows(ConfigurationException.class, () -> Durations.parse("--timeout", "1 day"))
            .field());
    assertEquals("1500ms", Durations.format(Duration.ofMillis(1500)));
    assertEquals("2m", Durations.format(Duration.ofSeconds(120)));
  }
}
