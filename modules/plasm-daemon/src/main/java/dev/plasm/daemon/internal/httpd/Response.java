package dev.plasm.daemon.internal.httpd;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;

/**
 * The answer to one request: headers set first, then exactly one of {@link #send} (a whole body)
 * or {@link #start} (a body of a declared length, streamed). Every response has a Content-Length;
 * a HEAD response has the headers of the GET and no body.
 */
public final class Response {
  private final OutputStream out;
  private final Request request;
  private final Map<String, String> headers = new LinkedHashMap<>();
  private boolean committed;
  private boolean closing;
  private FixedOutput body;

  Response(OutputStream out, Request request) {
    this.out = out;
    this.request = request;
    boolean keep =
        request.http11()
            ? !request.headers().hasToken("Connection", "close")
            : request.headers().hasToken("Connection", "keep-alive");
    this.closing = !keep;
  }

  /** Sets a header (replacing one of the same name). */
  public Response header(String name, String value) {
    if (committed) {
      throw new IllegalStateException("the response has started");
    }
    for (int i = 0; i < name.length(); i++) {
      if (name.charAt(i) <= ' ' || name.charAt(i) == ':') {
        throw new IllegalArgumentException("bad header name " + name);
      }
    }
    for (int i = 0; i < value.length(); i++) {
      if (value.charAt(i) == '\r' || value.charAt(i) == '\n') {
        throw new IllegalArgumentException("a header value with a line break");
      }
    }
    headers.put(name, value);
    return this;
  }

  /** Closes the connection after this response. */
  public void closeAfter() {
    closing = true;
  }

  boolean closing() {
    return closing;
  }

  public boolean committed() {
    return committed;
  }

  /** Sends a whole response. */
  public void send(int status, String contentType, byte[] bytes) throws IOException {
    if (contentType != null) {
      header("Content-Type", contentType);
    }
    try (OutputStream o = start(status, bytes.length)) {
      o.write(bytes);
    }
  }

  /**
   * Sends the status line and headers with {@code Content-Length: length}; the caller then writes
   * exactly {@code length} bytes to the returned stream (nothing for HEAD: writes are dropped).
   */
  public OutputStream start(int status, long length) throws IOException {
    if (committed) {
      throw new IllegalStateException("the response has started");
    }
    committed = true;
    if (!request.bodyConsumed()) {
      // An answer given before the body was read (a refusal) ends the connection: say so, or the
      // client's pool reuses a socket the server is about to close and its next request fails.
      closing = true;
    }
    StringBuilder h = new StringBuilder(256);
    h.append("HTTP/1.1 ").append(status).append(' ').append(reason(status)).append("\r\n");
    boolean noBody = status == 204 || status == 304;
    for (var e : headers.entrySet()) {
      h.append(e.getKey()).append(": ").append(e.getValue()).append("\r\n");
    }
    if (!noBody) {
      h.append("Content-Length: ").append(length).append("\r\n");
    }
    h.append("Date: ").append(date()).append("\r\n");
    if (closing) {
      h.append("Connection: close\r\n");
    }
    h.append("\r\n");
    out.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
    boolean head = request.method().equals("HEAD") || noBody;
    body = new FixedOutput(out, head ? 0 : length, head);
    return body;
  }

  /** Checks that a streamed body was written in full; a short one cannot be repaired, so it fails. */
  void finish() throws IOException {
    if (body != null && body.left > 0) {
      throw new IOException(
          "the response body ended " + body.left + " bytes short of its Content-Length");
    }
  }

  /** The body stream: refuses to write past the declared length. */
  private static final class FixedOutput extends OutputStream {
    private final OutputStream out;
    private final boolean discard;
    private long left;

    FixedOutput(OutputStream out, long length, boolean discard) {
      this.out = out;
      this.left = length;
      this.discard = discard;
    }

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      if (discard) {
        return;
      }
      if (len > left) {
        throw new IOException("writing " + len + " bytes past the response's Content-Length");
      }
      out.write(b, off, len);
      left -= len;
    }

    @Override
    public void flush() throws IOException {
      out.flush();
    }

    @Override
    public void close() {
      // The connection outlives its responses.
    }
  }

  private static final DateTimeFormatter HTTP_DATE =
      DateTimeFormatter.ofPattern("EEE, dd MMM yyyy HH:mm:ss 'GMT'", Locale.ROOT);
  private static volatile long dateSecond;
  private static volatile String dateText = "";

  /** The current time in the IMF-fixdate form, computed at most once a second. */
  static String date() {
    long now = System.currentTimeMillis() / 1000;
    if (now != dateSecond) {
      dateText =
          HTTP_DATE.format(
              ZonedDateTime.ofInstant(java.time.Instant.ofEpochSecond(now), ZoneOffset.UTC));
      dateSecond = now;
    }
    return dateText;
  }

  static String reason(int status) {
    return switch (status) {
      case 100 -> "Continue";
      case 200 -> "OK";
      case 201 -> "Created";
      case 202 -> "Accepted";
      case 204 -> "No Content";
      case 304 -> "Not Modified";
      case 400 -> "Bad Request";
      case 401 -> "Unauthorized";
      case 403 -> "Forbidden";
      case 404 -> "Not Found";
      case 405 -> "Method Not Allowed";
      case 408 -> "Request Timeout";
      case 409 -> "Conflict";
      case 411 -> "Length Required";
      case 413 -> "Content Too Large";
      case 414 -> "URI Too Long";
      case 415 -> "Unsupported Media Type";
      case 417 -> "Expectation Failed";
      case 421 -> "Misdirected Request";
      case 429 -> "Too Many Requests";
      case 431 -> "Request Header Fields Too Large";
      case 500 -> "Internal Server Error";
      case 501 -> "Not Implemented";
      case 502 -> "Bad Gateway";
      case 503 -> "Service Unavailable";
      case 505 -> "HTTP Version Not Supported";
      default -> "Status " + status;
    };
  }
}
