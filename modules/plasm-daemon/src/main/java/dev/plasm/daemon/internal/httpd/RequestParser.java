package dev.plasm.daemon.internal.httpd;

import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * Reads a request's line and header fields (RFC 9112), strictly: lines end in CRLF, no
 * whitespace before a field's colon, no obsolete line folding, no control characters, one
 * {@code Host}, at most one {@code Content-Length} of plain digits, never with {@code
 * Transfer-Encoding}; only the chunked coding. What could be read two ways by two parsers (request
 * smuggling) is refused.
 */
final class RequestParser {
  private RequestParser() {}

  static Request parse(
      InputStream in, HttpServer.Settings s, InetSocketAddress remote, Connection c)
      throws IOException {
    String line = line(in, s.maxRequestLine(), "request line", 414);
    String[] parts = line.split(" ", -1);
    if (parts.length != 3) {
      throw HttpError.bad(null, "malformed request line (want: METHOD /path HTTP/1.1)");
    }
    String method = parts[0];
    String target = parts[1];
    String version = parts[2];
    if (method.isEmpty() || !isToken(method)) {
      throw HttpError.bad(null, "malformed method '" + abbreviate(method) + "'");
    }
    boolean http11;
    switch (version) {
      case "HTTP/1.1" -> http11 = true;
      case "HTTP/1.0" -> http11 = false;
      default -> {
        if (version.matches("HTTP/\\d\\.\\d")) {
          throw new HttpError(
              505, "version-not-supported", null, version + " is not supported; use HTTP/1.1");
        }
        throw HttpError.bad(null, "malformed HTTP version '" + abbreviate(version) + "'");
      }
    }
    if (!target.startsWith("/")) {
      throw HttpError.bad(
          null, "the request target must be a path starting with '/' (origin form)");
    }
    for (int i = 0; i < target.length(); i++) {
      char ch = target.charAt(i);
      if (ch <= 0x20 || ch >= 0x7f || ch == '#') {
        throw HttpError.bad(
            null,
            "the request target has a character that must be percent-encoded (position " + i + ")");
      }
    }

    Headers headers = new Headers();
    int bytes = 0;
    while (true) {
      String h = line(in, s.maxHeaderBytes(), "header section", 431);
      if (h.isEmpty()) {
        break;
      }
      bytes += h.length() + 2;
      if (bytes > s.maxHeaderBytes()) {
        throw new HttpError(
            431,
            "headers-too-large",
            null,
            "the request's header fields are over " + s.maxHeaderBytes() + " bytes");
      }
      if (headers.size() >= s.maxHeaders()) {
        throw new HttpError(
            431,
            "headers-too-large",
            null,
            "the request has more than " + s.maxHeaders() + " header fields");
      }
      char first = h.charAt(0);
      if (first == ' ' || first == '\t') {
        throw HttpError.bad(null, "obsolete line folding in the header section is not accepted");
      }
      int colon = h.indexOf(':');
      if (colon <= 0) {
        throw HttpError.bad(null, "malformed header field (want: Name: value)");
      }
      String name = h.substring(0, colon);
      if (!isToken(name)) {
        throw HttpError.bad(
            abbreviate(name),
            "malformed header field name '"
                + abbreviate(name)
                + "' (no spaces before the colon, token characters only)");
      }
      String value = h.substring(colon + 1).strip();
      for (int i = 0; i < value.length(); i++) {
        char ch = value.charAt(i);
        if ((ch < 0x20 && ch != '\t') || ch == 0x7f) {
          throw HttpError.bad(name, "header field " + name + " has a control character");
        }
      }
      headers.add(name, value);
    }

    if (headers.all("Host").size() > 1) {
      throw HttpError.bad("Host", "more than one Host header field");
    }
    if (http11 && headers.first("Host") == null) {
      throw HttpError.bad("Host", "an HTTP/1.1 request must have a Host header field");
    }
    List<String> te = headers.all("Transfer-Encoding");
    List<String> cl = headers.all("Content-Length");
    Request.Body body;
    long length;
    if (!te.isEmpty()) {
      if (!cl.isEmpty()) {
        throw HttpError.bad(
            "Transfer-Encoding", "both Transfer-Encoding and Content-Length: send one");
      }
      if (te.size() != 1 || !te.get(0).equalsIgnoreCase("chunked")) {
        throw new HttpError(
            501,
            "not-implemented",
            "Transfer-Encoding",
            "Transfer-Encoding '"
                + abbreviate(String.join(", ", te))
                + "' is not supported; use chunked or Content-Length");
      }
      if (!http11) {
        throw HttpError.bad("Transfer-Encoding", "Transfer-Encoding needs HTTP/1.1");
      }
      body = new ChunkedBody(in, s.maxHeaderBytes());
      length = -1;
    } else if (!cl.isEmpty()) {
      if (cl.size() > 1) {
        throw HttpError.bad("Content-Length", "more than one Content-Length header field");
      }
      length = contentLength(cl.get(0));
      body = new FixedBody(in, length);
    } else {
      length = 0;
      body = new FixedBody(in, 0);
    }
    String expect = headers.first("Expect");
    if (expect != null) {
      if (!expect.equalsIgnoreCase("100-continue")) {
        throw new HttpError(
            417,
            "expectation-failed",
            "Expect",
            "Expect '" + abbreviate(expect) + "' is not supported");
      }
      if (http11 && length != 0) {
        body.expectContinue(c);
      }
    }
    return new Request(method, target, http11, headers, length, body, remote);
  }

  /** Content-Length: 1 to 18 decimal digits, nothing else (no sign, no spaces inside, no list). */
  static long contentLength(String v) throws HttpError {
    if (v.isEmpty() || v.length() > 18) {
      throw HttpError.bad(
          "Content-Length", "Content-Length '" + abbreviate(v) + "' is not a byte count");
    }
    for (int i = 0; i < v.length(); i++) {
      if (v.charAt(i) < '0' || v.charAt(i) > '9') {
        throw HttpError.bad(
            "Content-Length",
            "Content-Length '" + abbreviate(v) + "' is not a byte count (digits only)");
      }
    }
    return Long.parseLong(v);
  }

  /**
   * One line without its CRLF, in ISO-8859-1, at most {@code max} bytes (else {@code tooLong});
   * a bare CR or LF is refused.
   */
  static String line(InputStream in, int max, String what, int tooLongStatus) throws IOException {
    byte[] buf = new byte[Math.min(max, 256)];
    int n = 0;
    while (true) {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("the client closed the connection inside the " + what);
      }
      if (b == '\r') {
        int lf = in.read();
        if (lf != '\n') {
          throw HttpError.bad(null, "a bare CR in the " + what);
        }
        return new String(buf, 0, n, StandardCharsets.ISO_8859_1);
      }
      if (b == '\n') {
        throw HttpError.bad(null, "a line of the " + what + " ends in LF without CR");
      }
      if (n == max) {
        throw tooLongStatus == 414
            ? new HttpError(414, "uri-too-long", null, "the request line is over " + max + " bytes")
            : new HttpError(
                tooLongStatus,
                "headers-too-large",
                null,
                "a line of the " + what + " is over " + max + " bytes");
      }
      if (n == buf.length) {
        buf = java.util.Arrays.copyOf(buf, Math.min(max, buf.length * 2));
      }
      buf[n++] = (byte) b;
    }
  }

  private static boolean isToken(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= 'A' && c <= 'Z')
              || (c >= '0' && c <= '9')
              || "!#$%&'*+-.^_`|~".indexOf(c) >= 0;
      if (!ok) {
        return false;
      }
    }
    return !s.isEmpty();
  }

  private static String abbreviate(String s) {
    return s.length() > 40 ? s.substring(0, 40) + "..." : s;
  }
}
