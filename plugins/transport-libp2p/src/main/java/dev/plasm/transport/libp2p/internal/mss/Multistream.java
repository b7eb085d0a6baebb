package dev.plasm.transport.libp2p.internal.mss;

import dev.plasm.transport.libp2p.MalformedMessageException;
import dev.plasm.transport.libp2p.ProtocolNotSupportedException;
import dev.plasm.transport.libp2p.internal.codec.Varint;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.function.Predicate;

/**
 * multistream-select 1.0: agreeing on one protocol id over a fresh byte stream.
 *
 * <p>Messages are {@code uvarint(len) || id || '\n'}, at most {@value #MAX_MESSAGE} bytes. Both
 * roles read exactly the bytes of each message and never more, so any bytes a peer sends right
 * after the negotiation (early data) stay in the caller's stream for the protocol handler.
 */
public final class Multistream {
  public static final String PROTOCOL_ID = "/multistream/1.0.0";
  public static final String NA = "na";

  /** The cap on one message, newline included; js caps protocol ids at 1024 bytes too. */
  public static final int MAX_MESSAGE = 1024;

  /** How many proposals a listener answers before it gives up on a peer. */
  static final int MAX_PROPOSALS = 64;

  private Multistream() {}

  /**
   * Proposes {@code protocols} in order and returns the first one the listener accepts. The header
   * and the first proposal go out in one write, as js and go do.
   */
  public static String select(InputStream in, OutputStream out, List<String> protocols)
      throws IOException {
    if (protocols.isEmpty()) {
      throw new IllegalArgumentException("no protocol to propose");
    }
    ByteArrayOutputStream first = new ByteArrayOutputStream();
    encode(PROTOCOL_ID, first);
    encode(protocols.getFirst(), first);
    out.write(first.toByteArray());
    out.flush();
    expectHeader(readMessage(in));
    for (int i = 0; ; ) {
      String proposal = protocols.get(i);
      String answer = readMessage(in);
      if (answer.equals(proposal)) {
        return proposal;
      }
      if (!answer.equals(NA)) {
        throw new MalformedMessageException(
            "multistream-select: proposed " + proposal + " but the answer was " + answer);
      }
      if (++i == protocols.size()) {
        throw new ProtocolNotSupportedException(protocols);
      }
      writeMessage(protocols.get(i), out);
    }
  }

  /**
   * Answers proposals until one is {@code supported}: echoes it and returns it, answering {@code
   * na} to the others (and to {@code ls}, which is optional).
   */
  public static String handle(InputStream in, OutputStream out, Predicate<String> supported)
      throws IOException {
    writeMessage(PROTOCOL_ID, out);
    expectHeader(readMessage(in));
    for (int i = 0; i < MAX_PROPOSALS; i++) {
      String proposal = readMessage(in);
      if (!proposal.equals(NA) && !proposal.equals("ls") && supported.test(proposal)) {
        writeMessage(proposal, out);
        return proposal;
      }
      writeMessage(NA, out);
    }
    throw new MalformedMessageException(
        "multistream-select: " + MAX_PROPOSALS + " proposals refused, giving up");
  }

  public static void writeMessage(String message, OutputStream out) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    encode(message, buf);
    out.write(buf.toByteArray());
    out.flush();
  }

  static void encode(String message, ByteArrayOutputStream out) {
    byte[] bytes = message.getBytes(StandardCharsets.UTF_8);
    if (bytes.length + 1 > MAX_MESSAGE) {
      throw new IllegalArgumentException(
          "protocol id of " + bytes.length + " bytes exceeds the " + MAX_MESSAGE + "-byte limit");
    }
    if (message.isEmpty() || message.indexOf('\n') >= 0) {
      throw new IllegalArgumentException("a protocol id must be non-empty and have no newline");
    }
    out.writeBytes(Varint.encode(bytes.length + 1));
    out.writeBytes(bytes);
    out.write('\n');
  }

  /** Reads one message, without its newline; reads no byte beyond it. */
  public static String readMessage(InputStream in) throws IOException {
    long length = Varint.read(in);
    if (length < 0) {
      throw new EOFException("stream closed during multistream-select");
    }
    if (length < 2 || length > MAX_MESSAGE) {
      throw new MalformedMessageException(
          "multistream-select message of " + length + " bytes (2 to " + MAX_MESSAGE + ")");
    }
    byte[] msg = in.readNBytes((int) length);
    if (msg.length != length) {
      throw new EOFException("stream closed inside a multistream-select message");
    }
    if (msg[msg.length - 1] != '\n') {
      throw new MalformedMessageException("multistream-select message does not end with a newline");
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(msg, 0, msg.length - 1))
          .toString();
    } catch (CharacterCodingException e) {
      throw new MalformedMessageException("multistream-select message is not UTF-8", e);
    }
  }

  private static void expectHeader(String header) {
    if (!header.equals(PROTOCOL_ID)) {
      throw new MalformedMessageException(
          "expected the " + PROTOCOL_ID + " header, got " + abbreviate(header));
    }
  }

  private static String abbreviate(String s) {
    return s.length() > 64 ? s.substring(0, 64) + "..." : s;
  }
}
