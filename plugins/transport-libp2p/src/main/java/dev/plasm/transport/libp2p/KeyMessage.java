package dev.plasm.transport.libp2p;

import dev.plasm.transport.libp2p.internal.codec.ProtoReader;

/**
 * The libp2p {@code PublicKey}/{@code PrivateKey} protobuf: {@code KeyType Type = 1; bytes Data =
 * 2}, both required.
 */
record KeyMessage(long type, byte[] data) {
  /**
   * Decodes one; {@code name} ("PublicKey" or "PrivateKey") goes into the error message.
   *
   * @throws MalformedMessageException when a required field is missing
   */
  static KeyMessage decode(byte[] protobuf, String name) {
    ProtoReader r = new ProtoReader(protobuf);
    Long type = null;
    byte[] data = null;
    for (int f; (f = r.next()) != 0; ) {
      switch (f) {
        case 1 -> type = r.varint();
        case 2 -> data = r.bytes();
        default -> r.skip();
      }
    }
    if (type == null || data == null) {
      throw new MalformedMessageException(name + " protobuf lacks its required Type or Data");
    }
    return new KeyMessage(type, data);
  }
}
