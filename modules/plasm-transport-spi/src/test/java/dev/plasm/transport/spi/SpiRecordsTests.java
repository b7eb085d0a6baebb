package dev.plasm.transport.spi;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The SPI's records check what a provider relies on. */
class SpiRecordsTests {
  @Test
  void dhtKeysAreSlashPlasmSlashNameWithinTheSizeCap() {
    assertEquals("/plasm/job/42", new DhtKey("/plasm/job/42").text());
    assertArrayEquals("/plasm/ä".getBytes(StandardCharsets.UTF_8), new DhtKey("/plasm/ä").bytes());
    String longest = "/plasm/" + "x".repeat(DhtKey.MAX_BYTES - 7);
    assertNull(DhtKey.problem(longest));
    assertTrue(
        DhtKey.problem(longest + "x").contains("at most 512"), DhtKey.problem(longest + "x"));
    // Bytes count, not characters: 253 two-byte characters are 506 bytes plus the prefix.
    assertTrue(DhtKey.problem("/plasm/" + "ä".repeat(253)).contains("513 bytes"));
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "",
        "/plasm/",
        "/plasm",
        "plasm/x",
        "/ipns/x",
        "/pk/x",
        "/Plasm/x",
        "/plasm/a\nb",
        "/plasm/a\u007fb",
        "/plasm/\ud800"
      })
  void badKeysAreRefusedWithFieldKey(String text) {
    InvalidInputException e = assertThrows(InvalidInputException.class, () -> new DhtKey(text));
    assertEquals("key", e.field());
    assertFalse(
        e.getMessage().contains("\n"),
        "the message shows control characters escaped: " + e.getMessage());
  }

  @Test
  void limitsAreRangeChecked() {
    assertThrows(
        IllegalArgumentException.class,
        () -> new TransportLimits(0, 1, 1, 1, Duration.ofSeconds(1), Duration.ofSeconds(1)));
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new TransportLimits(
                    1,
                    1,
                    TransportLimits.MAX_VALUE_BYTES + 1,
                    1,
                    Duration.ofSeconds(1),
                    Duration.ofSeconds(1)));
    assertTrue(e.getMessage().startsWith("maxValueBytes"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () -> new TransportLimits(1, 1, 1, 1, Duration.ZERO, Duration.ofSeconds(1)));
  }

  @Test
  void settingsCopyAndHideTheSeed() {
    byte[] seed =
        HexFormat.of().parseHex("9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60");
    TransportSettings s =
        new TransportSettings(
            List.of("/ip4/127.0.0.1/tcp/0"), List.of(), seed, "plasm/x", TransportLimits.DEFAULTS);
    seed[0] = 0;
    assertEquals((byte) 0x9d, s.identitySeed()[0], "the record keeps its own copy");
    s.identitySeed()[1] = 0;
    assertEquals((byte) 0x61, s.identitySeed()[1], "callers get a copy");
    assertFalse(
        s.toString().contains("9d61") || s.toString().toLowerCase().contains("seed"), s.toString());
    assertEquals(
        s,
        new TransportSettings(
            List.of("/ip4/127.0.0.1/tcp/0"),
            List.of(),
            s.identitySeed(),
            "plasm/x",
            TransportLimits.DEFAULTS));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new TransportSettings(
                List.of("/ip4/127.0.0.1/tcp/0"),
                List.of(),
                new byte[31],
                "x",
                TransportLimits.DEFAULTS));
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new TransportSettings(
                List.of(), List.of(), new byte[32], "x", TransportLimits.DEFAULTS));
  }

  @Test
  void descriptorsAndPeersValidate() {
    assertThrows(
        IllegalArgumentException.class, () -> new TransportDescriptor("Lib P2P", "1", "x"));
    assertThrows(IllegalArgumentException.class, () -> new TransportDescriptor("libp2p", " ", "x"));
    assertThrows(
        NullPointerException.class,
        () -> new ConnectedPeer("p", List.of(), "", List.of(), null, Instant.EPOCH));
    assertTrue(new TransportException("x") instanceof dev.plasm.api.PlasmException);
  }

  @Test
  void reachSettingsAndRelayLimitsAreCheckedAndOlderSettingsGetTheDefaults() {
    TransportSettings old =
        new TransportSettings(
            List.of("/ip4/127.0.0.1/tcp/0"),
            List.of(),
            new byte[32],
            "plasm/x",
            TransportLimits.DEFAULTS);
    assertEquals(ReachSettings.DEFAULTS, old.reach());
    assertTrue(old.reach().autoNat() && old.reach().holePunching() && !old.reach().relayService());
    var e =
        assertThrows(
            IllegalArgumentException.class,
            () ->
                new RelayServiceLimits(
                    0, 1, Duration.ofHours(1), 1, 1, Duration.ofMinutes(1), 4096));
    assertTrue(e.getMessage().startsWith("maxReservations is 0"), e.getMessage());
    assertThrows(
        IllegalArgumentException.class,
        () ->
            new RelayServiceLimits(1, 1, Duration.ofSeconds(5), 1, 1, Duration.ofMinutes(1), 4096));
    assertThrows(
        IllegalArgumentException.class,
        () -> new RelayServiceLimits(1, 1, Duration.ofHours(1), 1, 1, Duration.ofMinutes(1), 10));
    List<String> relays = new java.util.ArrayList<>(List.of("/ip4/192.0.2.1/tcp/4001/p2p/x"));
    ReachSettings r = new ReachSettings(true, relays, true, RelayServiceLimits.DEFAULTS, false);
    relays.clear();
    assertEquals(1, r.relays().size(), "the record keeps its own copy");
    assertEquals(Reachability.Status.UNKNOWN, Reachability.UNKNOWN.status());
  }
}
