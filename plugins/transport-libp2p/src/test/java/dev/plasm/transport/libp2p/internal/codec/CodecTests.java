package dev.plasm.transport.libp2p.internal.codec;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.transport.libp2p.MalformedMessageException;
import java.io.ByteArrayInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.util.HexFormat;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Varint and protobuf helpers against published vectors (base58, base32 and multihash: plasm-identity). */
class CodecTests {
  private static final HexFormat HEX = HexFormat.of();

  @ParameterizedTest
  @CsvSource({
    // multiformats/unsigned-varint README examples, plus the 63-bit maximum.
    "0, 00",
    "1, 01",
    "127, 7f",
    "128, 8001",
    "255, ff01",
    "300, ac02",
    "16384, 808001",
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
  @ValueSource(
      strings = {
        "8000",
        "ff00",
        "808000",
        "ffffffffffffffff80",
        "ffffffffffffffffff01",
        "80",
        "ff"
      })
  void varintRefusesOverlongOversizedAndTruncatedEncodings(String hex) {
    byte[] b = HEX.parseHex(hex);
    assertThrows(MalformedMessageException.class, () -> Varint.decode(b, 0, b.length, new int[1]));
  }

  @Test
  void varintReadReportsEndOfStream() throws IOException {
    assertEquals(-1, Varint.read(new ByteArrayInputStream(new byte[0])));
    assertThrows(
        EOFException.class, () -> Varint.read(new ByteArrayInputStream(new byte[] {(byte) 0x80})));
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

  @Test
  void protobufRoundTripsAndSkipsUnknownFields() {
    byte[] msg =
        new ProtoWriter()
            .varint(1, 150)
            .string(2, "testing")
            .varint(7, 1)
            .bytes(3, new byte[] {1, 2})
            .toByteArray();
    // The protobuf encoding guide's examples: field 1 = 150 is 08 96 01, field 2 = "testing" is 12
    // 07 74...
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

    assertThrows(
        MalformedMessageException.class, () -> readAll(HEX.parseHex("0a05aabb"))); // length overrun
    assertThrows(MalformedMessageException.class, () -> readAll(HEX.parseHex("0b"))); // group start
    assertThrows(MalformedMessageException.class, () -> readAll(HEX.parseHex("00"))); // field 0
    assertThrows(
        MalformedMessageException.class, () -> readAll(HEX.parseHex("4901"))); // truncated fixed64
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
