package dev.plasm.transport.libp2p.internal.codec;

import dev.plasm.transport.libp2p.MalformedMessageException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;

/**
 * Reads protobuf fields one at a time; unknown fields are skipped (protobuf's forward
 * compatibility), groups and bad lengths are refused with {@link MalformedMessageException}.
 */
public final class ProtoReader {
  public static final int VARINT = 0;
  public static final int FIXED64 = 1;
  public static final int LENGTH_DELIMITED = 2;
  public static final int FIXED32 = 5;

  private final byte[] buf;
  private final int limit;
  private int pos;
  private int wireType = -1;
  private final int[] end = new int[1];

  public ProtoReader(byte[] buf) {
    this.buf = buf;
    this.limit = buf.length;
  }

  /** Advances to the next field and returns its number, or 0 at the end of the message. */
  public int next() {
    if (pos >= limit) {
      return 0;
    }
    long tag = Varint.decode(buf, pos, limit, end);
    pos = end[0];
    long field = tag >>> 3;
    wireType = (int) (tag & 7);
    if (field == 0 || field > 0x1FFF_FFFF) {
      throw new MalformedMessageException("protobuf field number " + field + " is out of range");
    }
    if (wireType != VARINT
        && wireType != FIXED64
        && wireType != LENGTH_DELIMITED
        && wireType != FIXED32) {
      throw new MalformedMessageException("protobuf wire type " + wireType + " is not supported");
    }
    return (int) field;
  }

  public int wireType() {
    return wireType;
  }

  public long varint() {
    expect(VARINT);
    long v = Varint.decode(buf, pos, limit, end);
    pos = end[0];
    return v;
  }

  public byte[] bytes() {
    expect(LENGTH_DELIMITED);
    long n = Varint.decode(buf, pos, limit, end);
    if (n > limit - end[0]) {
      throw new MalformedMessageException("protobuf field of " + n + " bytes overruns its message");
    }
    pos = end[0] + (int) n;
    return Arrays.copyOfRange(buf, end[0], pos);
  }

  /** A length-delimited field as strict UTF-8. */
  public String string() {
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes()))
          .toString();
    } catch (CharacterCodingException e) {
      throw new MalformedMessageException("protobuf string field is not UTF-8", e);
    }
  }

  /** Skips the current field's value. */
  public void skip() {
    switch (wireType) {
      case VARINT -> varint();
      case FIXED64 -> advance(8);
      case FIXED32 -> advance(4);
      case LENGTH_DELIMITED -> bytes();
      default -> throw new IllegalStateException("no current field");
    }
  }

  private void advance(int n) {
    if (n > limit - pos) {
      throw new MalformedMessageException("truncated protobuf field");
    }
    pos += n;
  }

  private void expect(int type) {
    if (wireType != type) {
      throw new MalformedMessageException(
          "protobuf field has wire type " + wireType + " where " + type + " was expected");
    }
  }
}
