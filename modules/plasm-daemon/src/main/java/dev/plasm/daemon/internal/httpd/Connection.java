package dev.plasm.daemon.internal.httpd;

import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;

/** One client connection: reads requests one after another, hands each to the handler, answers. */
final class Connection {
  /** How long and how much a refused body is drained after the response, so the client sees it. */
  private static final Duration LINGER = Duration.ofMillis(500);

  private static final long LINGER_BYTES = 1 << 20;

  private final HttpServer server;
  private final Socket socket;
  private final HttpServer.Settings settings;
  private final DeadlineInput deadlineInput;
  private final BufferedInputStream in;
  private final OutputStream out;
  private final InetSocketAddress remote;
  private volatile long overdueAt = Long.MAX_VALUE;
  private volatile boolean aborted;

  Connection(HttpServer server, Socket socket) throws IOException {
    this.server = server;
    this.socket = socket;
    this.settings = server.settings();
    socket.setTcpNoDelay(true);
    this.remote = (InetSocketAddress) socket.getRemoteSocketAddress();
    this.deadlineInput = new DeadlineInput(socket);
    this.in = new BufferedInputStream(deadlineInput, 16 * 1024);
    this.out = new BufferedOutputStream(socket.getOutputStream(), 16 * 1024);
  }

  boolean overdue(long now) {
    return now - overdueAt > 0;
  }

  /**
   * Resets the connection from another thread: a blocked read or write fails at once, and what the
   * kernel still holds for the client is dropped (a plain close would go on delivering megabytes of
   * buffered response to a reader that takes them slowly).
   */
  void abort() {
    if (!aborted) {
      aborted = true;
      server.timedOut();
      try {
        socket.setSoLinger(true, 0);
      } catch (java.io.IOException e) {
        // Already closed.
      }
      HttpServer.closeQuietly(socket);
    }
  }

  void serve() {
    try (socket) {
      while (true) {
        // Waiting for the next request: bounded by the idle timeout.
        long idleUntil = System.nanoTime() + settings.idleTimeout().toNanos();
        overdueAt = idleUntil + settings.requestTimeout().toNanos(); // the reaper's backstop
        deadlineInput.until(idleUntil);
        in.mark(1);
        int first;
        try {
          first = in.read();
        } catch (SocketTimeoutException e) {
          return; // idle too long: close quietly, as any keep-alive server does
        }
        if (first < 0) {
          return;
        }
        in.reset();
        long start = System.nanoTime();
        overdueAt = start + settings.exchangeTimeout().toNanos();
        deadlineInput.until(start + settings.requestTimeout().toNanos());
        Request request;
        try {
          request = RequestParser.parse(in, settings, remote, this);
        } catch (HttpError e) {
          sendProtocolError(e);
          linger();
          return;
        } catch (SocketTimeoutException e) {
          sendProtocolError(
              new HttpError(
                  408,
                  "request-timeout",
                  null,
                  "the request did not arrive within "
                      + settings.requestTimeout().toSeconds()
                      + "s (api.request-timeout)"));
          return;
        }
        if (!exchange(request)) {
          return;
        }
      }
    } catch (IOException e) {
      // The client went away or the reaper closed the socket: nothing more can be said to it.
    }
  }

  /** Runs one exchange; true when the connection can carry another request. */
  private boolean exchange(Request request) throws IOException {
    Response response = new Response(out, request);
    try {
      server.handler().handle(request, response);
    } catch (HttpError e) {
      // The body broke the protocol while the handler read it (a bad chunk, too long, too slow).
      if (response.committed()) {
        return false;
      }
      response.closeAfter();
      response.send(
          e.status(),
          "application/json",
          server.handler().errorBody(e.status(), e.code(), e.field(), e.getMessage()));
      out.flush();
      linger();
      return false;
    } catch (SocketTimeoutException e) {
      if (!response.committed()) {
        response.closeAfter();
        response.send(
            408,
            "application/json",
            server
                .handler()
                .errorBody(
                    408,
                    "request-timeout",
                    null,
                    "the request body did not arrive within "
                        + settings.requestTimeout().toSeconds()
                        + "s (api.request-timeout)"));
        out.flush();
      }
      return false;
    } catch (IOException | RuntimeException e) {
      if (!aborted) {
        server.events().requestFailed(request.target(), e);
      }
      if (response.committed() || aborted) {
        return false;
      }
      response.closeAfter();
      response.send(
          500,
          "application/json",
          server.handler().errorBody(500, "internal", null, "internal error"));
      out.flush();
      return false;
    }
    if (!response.committed()) {
      // A handler that answered nothing is a bug; the client must not wait for ever.
      response.closeAfter();
      response.send(
          500,
          "application/json",
          server.handler().errorBody(500, "internal", null, "no response"));
    }
    response.finish();
    boolean bodyDone = request.bodyConsumed();
    if (!bodyDone && !response.closing()) {
      // Rare: the handler answered without reading a body it accepted. Close rather than parse
      // the rest of that body as the next request.
      out.flush();
      linger();
      return false;
    }
    out.flush();
    if (response.closing()) {
      if (!bodyDone) {
        linger();
      }
      return false;
    }
    return !aborted;
  }

  private void sendProtocolError(HttpError e) {
    try {
      byte[] body = server.handler().errorBody(e.status(), e.code(), e.field(), e.getMessage());
      StringBuilder h = new StringBuilder();
      h.append("HTTP/1.1 ")
          .append(e.status())
          .append(' ')
          .append(Response.reason(e.status()))
          .append("\r\n");
      h.append("Content-Type: application/json\r\n");
      h.append("Content-Length: ").append(body.length).append("\r\n");
      h.append("Date: ").append(Response.date()).append("\r\n");
      h.append("Connection: close\r\n\r\n");
      out.write(h.toString().getBytes(StandardCharsets.ISO_8859_1));
      out.write(body);
      out.flush();
    } catch (IOException io) {
      // The client is gone.
    }
  }

  /**
   * Half-closes and reads (and drops) what the client is still sending for a short while, so that
   * closing does not reset the connection before the client has read the answer.
   */
  private void linger() {
    try {
      out.flush();
      socket.shutdownOutput();
      long until = System.nanoTime() + LINGER.toNanos();
      deadlineInput.until(until);
      byte[] sink = new byte[8192];
      long n = 0;
      int r;
      while (n < LINGER_BYTES && (r = in.read(sink)) > 0) {
        n += r;
      }
    } catch (IOException e) {
      // Timed out or reset: either way the connection closes now.
    }
  }

  /** Sends {@code 100 Continue} for a request that asked for it, before its body is read. */
  void sendContinue() throws IOException {
    out.write("HTTP/1.1 100 Continue\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
    out.flush();
  }

  /** The socket's input with a deadline: each read waits at most until it. */
  static final class DeadlineInput extends InputStream {
    private final Socket socket;
    private final InputStream in;
    private long until;

    DeadlineInput(Socket socket) throws IOException {
      this.socket = socket;
      this.in = socket.getInputStream();
    }

    void until(long nanoTime) {
      this.until = nanoTime;
    }

    private void arm() throws IOException {
      long left = (until - System.nanoTime()) / 1_000_000;
      if (left <= 0) {
        throw new SocketTimeoutException("deadline passed");
      }
      socket.setSoTimeout((int) Math.min(Integer.MAX_VALUE, left));
    }

    @Override
    public int read() throws IOException {
      arm();
      return in.read();
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      arm();
      return in.read(b, off, len);
    }
  }
}
