package dev.plasm.identity;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The text and hash encodings of peer ids: base58btc, base32 (RFC 4648 vectors) and multihash. */
class MultiformatsTests {
  private static final HexFormat HEX = HexFormat.of();

  @ParameterizedTest
  @CsvSource({
    "'', ''",
    "00, 1",
    "000001, 112",
    "68656c6c6f20776f726c64, StV1DL6CwTryKyV",
    "0000287fb4cd, 11233QC4",
    "61, 2g",
    "626262, a3gV",
    "636363, aPEr",
    "48656c6c6f20576f726c6421, 2NEpo7TZRRrLZSi2U",
    "00eb15231dfceb60925886b67d065299925915aeb172c06647, 1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L",
  })
  void base58MatchesKnownVectors(String hex, String text) {
    assertEquals(text, Base58.encode(HEX.parseHex(hex)));
    assertEquals(hex, HEX.formatHex(Base58.decode(text)));
  }

  @Test
  void base58RefusesCharactersOutsideItsAlphabetNamingThem() {
    for (String bad : new String[] {"0", "O", "I", "l", "ab+c", "é"}) {
      var e = assertThrows(IllegalArgumentException.class, () -> Base58.decode(bad));
      assertTrue(e.getMessage().contains("is not a base58btc character"), e.getMessage());
    }
  }

  @ParameterizedTest
  @CsvSource({
    "'', ''",
    "f, my",
    "fo, mzxq",
    "foo, mzxw6",
    "foob, mzxw6yq",
    "fooba, mzxw6ytb",
    "foobar, mzxw6ytboi",
  })
  void base32MatchesRfc4648(String plain, String encoded) {
    byte[] b = plain.getBytes(StandardCharsets.US_ASCII);
    assertEquals(encoded, Base32.encode(b));
    assertArrayEquals(b, Base32.decode(encoded));
    assertArrayEquals(b, Base32.decode(encoded.toUpperCase()));
  }

  @Test
  void base32RefusesBadInput() {
    assertTrue(
        assertThrows(IllegalArgumentException.class, () -> Base32.decode("my1"))
            .getMessage()
            .contains("'1' at position 2"));
    assertThrows(
        IllegalArgumentException.class, () -> Base32.decode("mz")); // non-zero trailing bits
    assertThrows(IllegalArgumentException.class, () -> Base32.decode("m")); // 5 dangling bits
  }

  @Test
  void randomBytesRoundTripThroughBothAlphabets() {
    Random random = new Random(42);
    for (int n = 0; n < 80; n++) {
      byte[] b = new byte[n];
      random.nextBytes(b);
      if (n > 2) {
        b[0] = 0; // leading zeros are base58's special case
      }
      assertArrayEquals(b, Base58.decode(Base58.encode(b)));
      assertArrayEquals(b, Base32.decode(Base32.encode(b)));
    }
  }

  @Test
  void multihashEncodesAndValidates() {
    assertEquals(
        "12202c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
        HEX.formatHex(Multihash.sha256("foo".getBytes(StandardCharsets.US_ASCII))));
    assertEquals(
        "0003666f6f", HEX.formatHex(Multihash.identity("foo".getBytes(StandardCharsets.US_ASCII))));
    var d = Multihash.decode(HEX.parseHex("0003666f6f"));
    assertEquals(Multihash.IDENTITY, d.code());
    assertEquals("666f6f", HEX.formatHex(d.digest()));
    String[][] bad = {
      {"0004666f6f", "declares 4 digest bytes but has 3"},
      {"0002666f6f", "declares 2 digest bytes but has 3"},
      {"1203666f6f", "32 digest bytes, not 3"},
      {"1303666f6f", "unsupported multihash function 0x13"},
      {"", "malformed multihash header"},
      {"8000", "non-minimal"},
      {"0081", "truncated"},
    };
    for (String[] c : bad) {
      var e =
          assertThrows(
              IllegalArgumentException.class, () -> Multihash.decode(HEX.parseHex(c[0])), c[0]);
      assertTrue(e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
    }
  }
}
