package dev.plasm.transport.libp2p.internal.yamux;

/**
 * One Yamux frame: the 12-byte big-endian header ({@code version | type | flags | stream id |
 * length}) and, for data frames, the payload slice (libp2p/specs yamux/README.md).
 */
record Frame(int type, int flags, int streamId, long length, byte[] data, int offset) {
  static final int HEADER_LENGTH = 12;
  static final int VERSION = 0;

  static final int TYPE_DATA = 0;
  static final int TYPE_WINDOW_UPDATE = 1;
  static final int TYPE_PING = 2;
  static final int TYPE_GO_AWAY = 3;

  static final int FLAG_SYN = 1;
  static final int FLAG_ACK = 2;
  static final int FLAG_FIN = 4;
  static final int FLAG_RST = 8;

  static final int GO_AWAY_NORMAL = 0;
  static final int GO_AWAY_PROTOCOL_ERROR = 1;
  static final int GO_AWAY_INTERNAL_ERROR = 2;

  static Frame data(int flags, int streamId, byte[] data, int offset, int length) {
    return new Frame(TYPE_DATA, flags, streamId, length, data, offset);
  }

  static Frame windowUpdate(int flags, int streamId, long delta) {
    return new Frame(TYPE_WINDOW_UPDATE, flags, streamId, delta, null, 0);
  }

  static Frame ping(int flags, long opaque) {
    return new Frame(TYPE_PING, flags, 0, opaque, null, 0);
  }

  static Frame goAway(int code) {
    return new Frame(TYPE_GO_AWAY, 0, 0, code, null, 0);
  }

  /** Payload bytes carried after the header (only data frames carry any). */
  int payloadLength() {
    return type == TYPE_DATA ? (int) length : 0;
  }

  void writeHeader(byte[] out, int off) {
    out[off] = VERSION;
    out[off + 1] = (byte) type;
    out[off + 2] = (byte) (flags >>> 8);
    out[off + 3] = (byte) flags;
    putInt(out, off + 4, streamId);
    putInt(out, off + 8, (int) length);
  }

  static Frame parseHeader(byte[] h) {
    int type = h[1] & 0xFF;
    int flags = ((h[2] & 0xFF) << 8) | (h[3] & 0xFF);
    return new Frame(type, flags, getInt(h, 4), getInt(h, 8) & 0xFFFF_FFFFL, null, 0);
  }

  private static void putInt(byte[] b, int off, int v) {
    b[off] = (byte) (v >>> 24);
    b[off + 1] = (byte) (v >>> 16);
    b[off + 2] = (byte) (v >>> 8);
    b[off + 3] = (byte) v;
  }

  private static int getInt(byte[] b, int off) {
    return ((b[off] & 0xFF) << 24)
        | ((b[off + 1] & 0xFF) << 16)
        | ((b[off + 2] & 0xFF) << 8)
        | (b[off + 3] & 0xFF);
  }

  @Override
  public String toString() {
    String[] types = {"DATA", "WINDOW_UPDATE", "PING", "GO_AWAY"};
    return (type < types.length ? types[type] : "TYPE_" + type)
        + "[stream="
        + Integer.toUnsignedString(streamId)
        + " flags="
        + flags
        + " length="
        + length
        + "]";
  }
}
