package dev.plasm.daemon.internal.httpd;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;

/** A body of a declared length. */
final class FixedBody extends Request.Body {
  private final InputStream in;
  private long left;

  FixedBody(InputStream in, long length) {
    this.in = in;
    this.left = length;
  }

  @Override
  public int read(byte[] b, int off, int len) throws IOException {
    if (left == 0) {
      return -1;
    }
    if (len == 0) {
      return 0;
    }
    beforeRead();
    int n = in.read(b, off, (int) Math.min(len, left));
    if (n < 0) {
      throw new EOFException(
          "the client closed the connection " + left + " bytes before the end of the body");
    }
    left -= n;
    return n;
  }

  @Override
  public int available() throws IOException {
    return (int) Math.min(left, in.available());
  }

  @Override
  boolean consumed() {
    return left == 0;
  }
}
