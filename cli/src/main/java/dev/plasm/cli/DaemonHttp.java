package dev.plasm.cli;

import java.io.BufferedInputStream;
import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongConsumer;

/**
 * One HTTP/1.1 exchange with a daemon over a plain blocking socket, one connection per request.
 *
 * <p>The daemon's API is plain HTTP/1.1, usually on loopback (docs/http-api.md). The JDK's {@code
 * HttpClient} cost a client command about 450 classes at every start (its selector thread, HTTP/2
 * and the TLS context it sets up even for {@code http://}), several times what the request itself
 * takes; this is the part of HTTP/1.1 a daemon client needs: a request with a {@code
 * Content-Length} body, and a response with a {@code Content-Length}, chunked or close-delimited
 * body.
 */
final class DaemonHttp {
  /** How long connecting may take: on loopback a refused connection is immediate. */
  static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /** Bytes written at a time; a request's progress is reported after each. */
  private static final int CHUNK = 64 * 1024;

  /** The longest status line or header line read. */
  private static final int MAX_LINE = 64 * 1024;

  /** Sockets of exchanges under way, so that the shell's Ctrl-C can end a blocked read. */
  private static final Set<Socket> OPEN = ConcurrentHashMap.newKeySet();

  /** A response: status, headers (names in lower case, the last value of each), body. */
  record Response(int status, Map<String, String> headers, byte[] body) {
    String header(String name) {
      return headers.get(name.toLowerCase(Locale.ROOT));
    }
  }

  private final String host;
  private final int port;
  private final String hostHeader;

  /** @param base {@code http://HOST:PORT} (an IPv6 host in brackets) */
  DaemonHttp(String base) {
    URI u = URI.create(base);
    if (!"http".equals(u.getScheme()) || u.getHost() == null) {
      throw new IllegalArgumentException("not an http://HOST:PORT address: " + base);
    }
    String h = u.getHost();
    this.host = h.startsWith("[") && h.endsWith("]") ? h.substring(1, h.length() - 1) : h;
    this.port = u.getPort() < 0 ? 80 : u.getPort();
    this.hostHeader = h + (u.getPort() < 0 ? "" : ":" + u.getPort());
  }

  /** Closes the sockets of every exchange under way: their threads' reads fail at once. */
  static void abortAll() {
    for (Socket s : OPEN) {
      try {
        s.close();
      } catch (IOException e) {
        // Closing anyway.
      }
    }
  }

  /**
   * Sends one request and reads the whole response.
   *
   * @param target the request target, already percent-encoded ({@code /v1/jobs?limit=5})
   * @param token the bearer token, or empty for none
   * @param contentType the body's type, or null when there is no body
   * @param body the body, or null (a POST or PUT without one sends {@code Content-Length: 0})
   * @param timeout the longest wait for each read of the response
   * @param sent told the bytes of the body written so far, after each piece; may be null
   * @throws java.net.ConnectException nothing listens at the address
   * @throws IOException any other failure to connect, write or read, or a malformed response
   */
  Response exchange(
      String method,
      String target,
      String token,
      String contentType,
      byte[] body,
      Duration timeout,
      LongConsumer sent)
      throws IOException {
    // Nothing from the command line may change the request's shape (a job id with a CR LF in it
    // would add a header line).
    if (!target.startsWith("/") || !visible(target)) {
      throw new IllegalArgumentException(
          "'" + target + "' is not a request target: only visible ASCII, no spaces");
    }
    if (!visible(token) || (contentType != null && !visible(contentType.replace(" ", "")))) {
      throw new IllegalArgumentException("the token holds a character that cannot go in a header");
    }
    InetSocketAddress to = new InetSocketAddress(host, port);
    if (to.isUnresolved()) {
      throw new UnknownHostException("unknown host " + host);
    }
    try (Socket s = new Socket()) {
      OPEN.add(s);
      try {
        s.setTcpNoDelay(true);
        s.connect(to, (int) CONNECT_TIMEOUT.toMillis());
        s.setSoTimeout((int) Math.min(Integer.MAX_VALUE, Math.max(1, timeout.toMillis())));
        write(s.getOutputStream(), method, target, token, contentType, body, sent);
        return read(new BufferedInputStream(s.getInputStream(), 16 * 1024), method);
      } finally {
        OPEN.remove(s);
      }
    }
  }

  private void write(
      OutputStream out,
      String method,
      String target,
      String token,
      String contentType,
      byte[] body,
      LongConsumer sent)
      throws IOException {
    StringBuilder h = new StringBuilder(256);
    h.append(method).append(' ').append(target).append(" HTTP/1.1\r\n");
    h.append("Host: ").append(hostHeader).append("\r\n");
    if (!token.isEmpty()) {
      h.append("Authorization: Bearer ").append(token).append("\r\n");
    }
    boolean hasBody = body != null || method.equals("POST") || method.equals("PUT");
    if (contentType != null) {
      h.append("Content-Type: ").append(contentType).append("\r\n");
    }
    if (hasBody) {
      h.append("Content-Length: ").append(body == null ? 0 : body.length).append("\r\n");
    }
    h.append("Connection: close\r\n\r\n");
    // Header and a small body in one write: one segment on loopback.
    byte[] head = h.toString().getBytes(StandardCharsets.ISO_8859_1);
    if (body == null || body.length == 0 || (body.length <= CHUNK && sent == null)) {
      byte[] all = new byte[head.length + (body == null ? 0 : body.length)];
      System.arraycopy(head, 0, all, 0, head.length);
      if (body != null) {
        System.arraycopy(body, 0, all, head.length, body.length);
      }
      out.write(all);
    } else {
      out.write(head);
      for (int off = 0; off < body.length; off += CHUNK) {
        int n = Math.min(CHUNK, body.length - off);
        out.write(body, off, n);
        if (sent != null) {
          sent.accept(off + n);
        }
      }
    }
    out.flush();
  }

  private static Response read(InputStream in, String method) throws IOException {
    String status = line(in);
    // HTTP/1.1 200 OK
    if (!status.startsWith("HTTP/1.") || status.length() < 12 || status.charAt(8) != ' ') {
      throw new IOException("not an HTTP/1.1 response: '" + abbreviate(status) + "'");
    }
    int code;
    try {
      code = Integer.parseInt(status.substring(9, 12));
    } catch (NumberFormatException e) {
      throw new IOException("bad status line: '" + abbreviate(status) + "'");
    }
    Map<String, String> headers = new TreeMap<>();
    for (String l = line(in); !l.isEmpty(); l = line(in)) {
      int colon = l.indexOf(':');
      if (colon <= 0) {
        throw new IOException("bad header line: '" + abbreviate(l) + "'");
      }
      headers.put(
          l.substring(0, colon).strip().toLowerCase(Locale.ROOT), l.substring(colon + 1).strip());
    }
    if (code / 100 == 1) {
      // 100 Continue and the like are not sent for these requests; skip one if it comes.
      return read(in, method);
    }
    byte[] body;
    String te = headers.get("transfer-encoding");
    String cl = headers.get("content-length");
    if (method.equals("HEAD") || code == 204 || code == 304) {
      body = new byte[0];
    } else if (te != null && te.toLowerCase(Locale.ROOT).contains("chunked")) {
      body = chunked(in);
    } else if (cl != null) {
      long n;
      try {
        n = Long.parseLong(cl);
      } catch (NumberFormatException e) {
        throw new IOException("bad Content-Length: " + cl);
      }
      if (n < 0 || n > Integer.MAX_VALUE - 16) {
        throw new IOException("Content-Length out of range: " + cl);
      }
      body = in.readNBytes((int) n);
      if (body.length != n) {
        throw new EOFException(
            "the response ended " + (n - body.length) + " bytes short of its Content-Length");
      }
    } else {
      body = in.readAllBytes();
    }
    return new Response(code, headers, body);
  }

  private static byte[] chunked(InputStream in) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    while (true) {
      String size = line(in);
      int semi = size.indexOf(';');
      long n;
      try {
        n = Long.parseLong((semi < 0 ? size : size.substring(0, semi)).strip(), 16);
      } catch (NumberFormatException e) {
        throw new IOException("bad chunk size: '" + abbreviate(size) + "'");
      }
      if (n == 0) {
        while (!line(in).isEmpty()) {
          // trailers: none are used
        }
        return out.toByteArray();
      }
      if (n < 0 || n > Integer.MAX_VALUE - 16 - out.size()) {
        throw new IOException("chunk size out of range: " + size);
      }
      byte[] chunk = in.readNBytes((int) n);
      if (chunk.length != n) {
        throw new EOFException("the response ended inside a chunk");
      }
      out.write(chunk);
      line(in);
    }
  }

  /** One line without its CRLF (or LF), ISO-8859-1. */
  private static String line(InputStream in) throws IOException {
    StringBuilder b = new StringBuilder(64);
    int c;
    while ((c = in.read()) != '\n') {
      if (c < 0) {
        throw new EOFException(
            b.isEmpty()
                ? "the daemon closed the connection without an answer"
                : "the response ended inside a line");
      }
      if (b.length() >= MAX_LINE) {
        throw new IOException("a response line is over " + MAX_LINE + " bytes");
      }
      b.append((char) c);
    }
    int n = b.length();
    return n > 0 && b.charAt(n - 1) == '\r' ? b.substring(0, n - 1) : b.toString();
  }

  /** Only printable ASCII, no space: what a request target or a token may hold. */
  static boolean visible(String s) {
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      if (c <= ' ' || c >= 0x7f) {
        return false;
      }
    }
    return true;
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 80) + "...";
  }
}
