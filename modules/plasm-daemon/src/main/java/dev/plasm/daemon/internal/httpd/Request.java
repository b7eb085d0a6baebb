package dev.plasm.daemon.internal.httpd;

import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;

/**
 * One parsed request. The body is read from {@link #body()}: exactly the bytes its
 * {@code Content-Length} or chunked encoding delimit, never beyond.
 */
public final class Request {
  private final String method;
  private final String target;
  private final String path;
  private final String query;
  private final boolean http11;
  private final Headers headers;
  private final long contentLength;
  private final Body body;
  private final InetSocketAddress remote;

  Request(
      String method,
      String target,
      boolean http11,
      Headers headers,
      long contentLength,
      Body body,
      InetSocketAddress remote) {
    this.method = method;
    this.target = target;
    int q = target.indexOf('?');
    this.path = q < 0 ? target : target.substring(0, q);
    this.query = q < 0 ? null : target.substring(q + 1);
    this.http11 = http11;
    this.headers = headers;
    this.contentLength = contentLength;
    this.body = body;
    this.remote = remote;
  }

  public String method() {
    return method;
  }

  /** The request target as sent (origin form: path and query). */
  public String target() {
    return target;
  }

  /** The raw (still percent-encoded) path. */
  public String path() {
    return path;
  }

  /** The raw query after {@code ?}, or null. */
  public String query() {
    return query;
  }

  public Headers headers() {
    return headers;
  }

  /** The declared body length, or -1 for a chunked body. 0 when the request has no body. */
  public long contentLength() {
    return contentLength;
  }

  public InputStream body() {
    return body;
  }

  public InetSocketAddress remote() {
    return remote;
  }

  boolean http11() {
    return http11;
  }

  boolean bodyConsumed() {
    return body.consumed();
  }

  /** The body's reader: knows whether it reached the end, sends 100-continue before the first read. */
  abstract static class Body extends InputStream {
    private Connection continueTo;

    void expectContinue(Connection c) {
      this.continueTo = c;
    }

    final void beforeRead() throws IOException {
      if (continueTo != null) {
        Connection c = continueTo;
        continueTo = null;
        c.sendContinue();
      }
    }

    abstract boolean consumed();

    @Override
    public final int read() throws IOException {
      byte[] one = new byte[1];
      int n = read(one, 0, 1);
      return n < 0 ? -1 : one[0] & 0xff;
    }
  }
}
