package dev.plasm.daemon.internal.httpd;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/**
 * A body in the chunked transfer coding (RFC 9112 section 7.1). Chunk sizes are at most 15 hex
 * digits, extensions and trailers are bounded and dropped; any deviation is a 400.
 */
final class ChunkedBody extends Request.Body {
  private static final int MAX_LINE = 4096;

  private final InputStream in;
  private final int maxTrailerBytes;
  private long chunkLeft;
  private boolean done;

  ChunkedBody(InputStream in, int maxTrailerBytes) {
    this.in = in;
    this.maxTrailerBytes = maxTrailerBytes;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (done) {
      return -1;
    }
    if (len == 0) {
      return 0;
    }
    beforeRead();
    if (chunkLeft == 0) {
      chunkLeft = nextChunkSize();
      if (chunkLeft == 0) {
        readTrailers();
        done = true;
        return -1;
      }
    }
    int n = in.read(b, off, (int) Math.min(len, chunkLeft));
    if (n < 0) {
      throw new EOFException("the client closed the connection inside a chunk");
    }
    chunkLeft -= n;
    if (chunkLeft == 0) {
      expectCrlf();
    }
    return n;
  }

  private long nextChunkSize() throws IOException {
    String line = RequestParser.line(in, MAX_LINE, "chunk size line", 400);
    int semi = line.indexOf(';');
    String hex = (semi < 0 ? line : line.substring(0, semi)).strip();
    if (hex.isEmpty() || hex.length() > 15) {
      throw HttpError.bad("Transfer-Encoding", "malformed chunk size '" + abbreviate(hex) + "'");
    }
    long size = 0;
    for (int i = 0; i < hex.length(); i++) {
      int d = Character.digit(hex.charAt(i), 16);
      if (d < 0) {
        throw HttpError.bad("Transfer-Encoding", "malformed chunk size '" + abbreviate(hex) + "'");
      }
      size = size * 16 + d;
    }
    return size;
  }

  private void expectCrlf() throws IOException {
    int cr = in.read();
    int lf = in.read();
    if (cr != '\r' || lf != '\n') {
      if (cr < 0 || lf < 0) {
        throw new EOFException("the client closed the connection after a chunk");
      }
      throw HttpError.bad("Transfer-Encoding", "a chunk's data is not followed by CRLF");
    }
  }

  private void readTrailers() throws IOException {
    int total = 0;
    while (true) {
      String line = RequestParser.line(in, MAX_LINE, "trailer", 431);
      if (line.isEmpty()) {
        return;
      }
      total += line.length() + 2;
      if (total > maxTrailerBytes) {
        throw new HttpError(
            431,
            "headers-too-large",
            null,
            "the chunked body's trailers are over " + maxTrailerBytes + " bytes");
      }
    }
  }

  private static String abbreviate(String s) {
    return s.length() > 20 ? s.substring(0, 20) + "..." : s;
  }

  @Override
  boolean consumed() {
    return done;
  }
}
