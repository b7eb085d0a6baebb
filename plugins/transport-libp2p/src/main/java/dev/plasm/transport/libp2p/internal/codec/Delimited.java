package dev.plasm.transport.libp2p.internal.codec;

import dev.plasm.transport.libp2p.MalformedMessageException;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/** Uvarint-length-prefixed messages, as identify and Kademlia frame their protobufs. */
public final class Delimited {
  private Delimited() {}

  /** Writes the length and the message in one write, then flushes. */
  public static void write(OutputStream out, byte[] message) throws IOException {
    ByteArrayOutputStream buf = new ByteArrayOutputStream(message.length + 5);
    buf.writeBytes(Varint.encode(message.length));
    buf.writeBytes(message);
    out.write(buf.toByteArray());
    out.flush();
  }

  /**
   * Reads one message of at most {@code max} bytes; null when the stream ends cleanly before it.
   *
   * @param what names the message in errors ("kad message")
   * @throws MalformedMessageException for a length over {@code max}, before reading the body
   */
  public static byte[] readOrEnd(InputStream in, int max, String what) throws IOException {
    long n = Varint.read(in);
    if (n < 0) {
      return null;
    }
    if (n > max) {
      throw new MalformedMessageException(
          what + " of " + n + " bytes exceeds the " + max + "-byte limit");
    }
    byte[] msg = in.readNBytes((int) n);
    if (msg.length != n) {
      throw new EOFException("stream ended inside a " + what);
    }
    return msg;
  }

  /** As {@link #readOrEnd}, but the end of the stream before the message is an error too. */
  public static byte[] read(InputStream in, int max, String what) throws IOException {
    byte[] msg = readOrEnd(in, max, what);
    if (msg == null) {
      throw new EOFException("stream ended before a " + what);
    }
    return msg;
  }
}
