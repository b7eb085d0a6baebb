package dev.plasm.transport.libp2p.internal.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.identity.Base58;
import dev.plasm.transport.libp2p.MalformedMessageException;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Varint, base58btc, base32, multihash and protobuf helpers against published vectors. */
class CodecTests {
  private static final HexFormat HEX = HexFormat.of();

  @ParameterizedTest
  @CsvSource({
    // multiformats/unsigned-varint README examples, plus the 63-bit maximum.
    "0, 00", "1, 01", "127, 7f", "128, 8001", "255, ff01", "300, ac02", "16384, 808001",
    "9223372036854775807, ffffffffffffffff7f"
  })
  void varintMatchesTheSpecExamples(long value, String hex) throws IOException {
    assertEquals(hex, HEX.formatHex(Varint.encode(value)));
    assertEquals(hex.length() / 2, Varint.size(value));
    int[] end = new int[1];
    byte[] bytes = HEX.parseHex(hex + "ee");
    assertEquals(value, Varint.decode(bytes, 0, bytes.length, end));
    assertEquals(hex.length() / 2, end[0]);
    assertEquals(value, Varint.read(new ByteArrayInputStream(bytes)));
  }

  @ParameterizedTest
  @ValueSource(strings = {"8000", "ff00", "808000", "ffffffffffffffff80", "ffffffffffffffffff01", "80", "ff"})
  void varintRefusesOverlongOversizedAndTruncatedEncodings(String hex) {
    byte[] b = HEX.parseHex(hex);
    assertThrows(MalformedMessageException.class, () -> Varint.decode(b, 0, b.length, new int[1]));
  }

  @Test
  void varintReadReportsEndOfStream() throws IOException {
    assertEquals(-1, Varint.read(new ByteArrayInputStream(new byte[0])));
    assertThrows(EOFException.class, () -> Varint.read(new ByteArrayInputStream(new byte[] {(byte) 0x80})));
    assertThrows(IllegalArgumentException.class, () -> Varint.encode(-1));
  }

  @Test
  void varintRoundTripsRandomValues() {
    Random r = new Random(42);
    for (int i = 0; i < 10_000; i++) {
      long v = r.nextLong() >>> r.nextInt(64);
      if (v < 0) {
        v = -v;
      }
      byte[] enc = Varint.encode(v);
      assertEquals(v, Varint.decode(enc, 0, enc.length, new int[1]));
    }
  }

  @ParameterizedTest
  @CsvSource({
    "'', ''",
    "61, 2g",
    "626262, a3gV",
    "636363, aPEr",
    "48656c6c6f20576f726c6421, 2NEpo7TZRRrLZSi2U",
    "00000001, 1112",
    "00eb15231dfceb60925886b67d065299925915aeb172c06647, 1NS17iag9jJgTHD1VXjvLCEnZuQ3rJDE9L"
  })
  void base58MatchesKnownVectors(String hex, String text) {
    assertEquals(text, Base58.encode(HEX.parseHex(hex)));
    assertEquals(hex, HEX.formatHex(Base58.decode(text)));
  }

  @Test
  void base58RefusesCharactersOutsideItsAlphabet() {
    for (String bad : new String[] {"0abc", "abcO", "Il", "ab c", "é"}) {
      var e = assertThrows(IllegalArgumentException.class, () -> Base58.decode(bad));
      assertTrue(e.getMessage().contains("base58btc"), e.getMessage());
    }
  }

  @Test
  void base58RoundTripsRandomBytes() {
    Random r = new Random(7);
    for (int i = 0; i < 2000; i++) {
      byte[] b = new byte[r.nextInt(60)];
      r.nextBytes(b);
      if (b.length > 2 && r.nextBoolean()) {
        b[0] = 0;
        b[1] = 0;
      }
      assertArrayEquals(b, Base58.decode(Base58.encode(b)));
    }
  }

  @ParameterizedTest
  @CsvSource({"'', ''", "f, my", "fo, mzxq", "foo, mzxw6", "foob, mzxw6yq", "fooba, mzxw6ytb", "foobar, mzxw6ytboi"})
  void base32MatchesRfc4648(String plain, String encoded) {
    byte[] b = plain.getBytes(StandardCharsets.US_ASCII);
    assertEquals(encoded, Base32.encode(b));
    assertArrayEquals(b, Base32.decode(encoded));
    assertArrayEquals(b, Base32.decode(encoded.toUpperCase()));
  }

  @Test
  void base32RefusesBadInput() {
    assertThrows(IllegalArgumentException.class, () -> Base32.decode("my1"));
    assertThrows(IllegalArgumentException.class, () -> Base32.decode("mz")); // non-zero trailing bits
    assertThrows(IllegalArgumentException.class, () -> Base32.decode("m")); // 5 dangling bits
  }

  @Test
  void multihashEncodesAndValidates() {
    // sha2-256("foo") as a multihash, from the multihash spec's examples.
    assertEquals(
        "12202c26b46b68ffc68ff99b453c1d30413413422d706483bfa0f98a5e886266e7ae",
        HEX.formatHex(Multihash.sha256("foo".getBytes(StandardCharsets.US_ASCII))));
    assertEquals("0003666f6f", HEX.formatHex(Multihash.identity("foo".getBytes(StandardCharsets.US_ASCII))));
    var d = Multihash.decode(HEX.parseHex("0003666f6f"));
    assertEquals(Multihash.IDENTITY, d.code());
    assertArrayEquals("foo".getBytes(StandardCharsets.US_ASCII), d.digest());

    assertThrows(IllegalArgumentException.class, () -> Multihash.decode(HEX.parseHex("0004666f6f"))); // short
    assertThrows(IllegalArgumentException.class, () -> Multihash.decode(HEX.parseHex("0002666f6f"))); // long
    assertThrows(IllegalArgumentException.class, () -> Multihash.decode(HEX.parseHex("1203666f6f"))); // sha256 != 32
    var e = assertThrows(IllegalArgumentException.class, () -> Multihash.decode(HEX.parseHex("1303666f6f")));
    assertTrue(e.getMessage().contains("0x13"), e.getMessage());
    assertThrows(IllegalArgumentException.class, () -> Multihash.decode(new byte[0]));
  }

  @Test
  void protobufRoundTripsAndSkipsUnknownFields() {
    byte[] msg =
        new ProtoWriter().varint(1, 150).string(2, "testing").varint(7, 1).bytes(3, new byte[] {1, 2}).toByteArray();
    // The protobuf encoding guide's examples: field 1 = 150 is 08 96 01, field 2 = "testing" is 12 07 74...
    assertTrue(HEX.formatHex(msg).startsWith("089601120774657374696e67"));
    ProtoReader r = new ProtoReader(msg);
    assertEquals(1, r.next());
    assertEquals(150, r.varint());
    assertEquals(2, r.next());
    assertEquals("testing", r.string());
    assertEquals(7, r.next());
    r.skip();
    assertEquals(3, r.next());
    assertArrayEquals(new byte[] {1, 2}, r.bytes());
    assertEquals(0, r.next());
  }

  @Test
  void protobufSkipsFixedWidthFieldsAndRefusesGarbage() {
    // field 9 fixed64, field 10 fixed32, then field 1 varint 5.
    byte[] msg = HEX.parseHex("49" + "0102030405060708" + "55" + "01020304" + "0805");
    ProtoReader r = new ProtoReader(msg);
    assertEquals(9, r.next());
    r.skip();
    assertEquals(10, r.next());
    r.skip();
    assertEquals(1, r.next());
    assertEquals(5, r.varint());

    assertThrows(MalformedMessageException.class, () -> readAll(HEX.parseHex("0a05aabb"))); // length overrun
    assertThrows(MalformedMessageException.class, () -> readAll(HEX.parseHex("0b"))); // group start
    assertThrows(MalformedMessageException.class, () -> readAll(HEX.parseHex("00"))); // field 0
    assertThrows(MalformedMessageException.class, () -> readAll(HEX.parseHex("4901"))); // truncated fixed64
    ProtoReader bad = new ProtoReader(HEX.parseHex("0a02c328"));
    bad.next();
    assertThrows(MalformedMessageException.class, bad::string); // invalid UTF-8
    ProtoReader wrongType = new ProtoReader(HEX.parseHex("0805"));
    wrongType.next();
    assertThrows(MalformedMessageException.class, wrongType::bytes);
  }

  private static void readAll(byte[] msg) {
    ProtoReader r = new ProtoReader(msg);
    while (r.next() != 0) {
      r.skip();
    }
  }
}
