package dev.plasm.identity;

import java.io.ByteArrayOutputStream;

/**
 * The libp2p {@code PublicKey} and {@code PrivateKey} protobuf messages, {@code KeyType Type = 1;
 * bytes Data = 2}, both required. The encoding is the deterministic one peer ids are hashed from:
 * Type then Data, Type present even when it is 0 (RSA), minimal varints.
 */
record KeyProtobuf(KeyType type, byte[] data) {
  private static final int VARINT = 0;
  private static final int FIXED64 = 1;
  private static final int LENGTH_DELIMITED = 2;
  private static final int FIXED32 = 5;

  byte[] encode() {
    ByteArrayOutputStream out = new ByteArrayOutputStream(data.length + 8);
    out.write(1 << 3 | VARINT);
    Varint.write(out, type.code());
    out.write(2 << 3 | LENGTH_DELIMITED);
    Varint.write(out, data.length);
    out.writeBytes(data);
    return out.toByteArray();
  }

  /**
   * Decodes one message; {@code name} ({@code PublicKey}, {@code PrivateKey}) goes into errors.
   * Unknown fields are skipped, as protobuf requires.
   *
   * @throws KeyFormatException if the bytes are not protobuf or a required field is missing
   * @throws UnsupportedKeyTypeException for a type number libp2p does not define
   */
  static KeyProtobuf decode(byte[] protobuf, String name) {
    Long type = null;
    byte[] data = null;
    try {
      Varint in = new Varint(protobuf, 0);
      while (!in.atEnd()) {
        long tag = in.next();
        long field = tag >>> 3;
        int wire = (int) (tag & 7);
        if (field == 0
            || (field == 1 && wire != VARINT)
            || (field == 2 && wire != LENGTH_DELIMITED)) {
          throw new IllegalArgumentException("field " + field + " with wire type " + wire);
        }
        switch (wire) {
          case VARINT -> {
            long v = in.next();
            if (field == 1) {
              type = v;
            }
          }
          case LENGTH_DELIMITED -> {
            byte[] v = in.take(in.next());
            if (field == 2) {
              data = v;
            }
          }
          case FIXED64 -> in.take(8);
          case FIXED32 -> in.take(4);
          default -> throw new IllegalArgumentException("unsupported protobuf wire type " + wire);
        }
      }
    } catch (IllegalArgumentException e) {
      throw new KeyFormatException("malformed " + name + " protobuf: " + e.getMessage(), e);
    }
    if (type == null || data == null) {
      throw new KeyFormatException(
          name + " protobuf lacks its required " + (type == null ? "Type" : "Data") + " field");
    }
    return new KeyProtobuf(KeyType.of(type), data);
  }
}
