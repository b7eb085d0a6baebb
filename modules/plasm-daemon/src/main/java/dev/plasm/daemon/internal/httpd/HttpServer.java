package dev.plasm.daemon.internal.httpd;

import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A small HTTP/1.1 server on blocking sockets: one virtual thread per connection, every bound
 * enforced here rather than left to a client's good manners.
 *
 * <p>Why not the JDK's {@code com.sun.net.httpserver}: it resets the connection instead of
 * answering 431 to oversized headers, reads (or waits for) a refused body before closing, accepts
 * {@code Content-Length: +N}, and has no reliable bound on the time a slow reader may hold a
 * response. Here:
 *
 * <ul>
 *   <li>a request's line and headers are bounded in bytes and count (414, 431), and must arrive
 *       within {@link Settings#requestTimeout} of their first byte, the body as well (408);
 *   <li>a whole exchange, from the request's first byte to the response's last, is bounded by
 *       {@link Settings#exchangeTimeout}: a reaper thread closes the socket of one that overruns,
 *       which also frees a writer blocked on a client that stopped reading;
 *   <li>an idle keep-alive connection is closed after {@link Settings#idleTimeout};
 *   <li>at most {@link Settings#maxConnections} connections are open; one more is answered 503
 *       and closed at once;
 *   <li>a body the handler did not read (a refusal from its Content-Length, say) is never waited
 *       for: the response goes out, then the connection is closed after a short linger.
 * </ul>
 *
 * <p>Blocking socket reads and writes on virtual threads park the virtual thread, not its carrier,
 * so an idle or slow client costs a parked virtual thread and a file descriptor, never a carrier.
 */
public final class HttpServer implements AutoCloseable {
  /**
   * Bounds of the server.
   *
   * @param maxConnections connections open at once; more are answered 503 and closed
   * @param requestTimeout time to receive a request's line, headers and body from its first byte
   * @param exchangeTimeout time from a request's first byte to its response's last
   * @param idleTimeout time a keep-alive connection may wait for its next request
   * @param maxRequestLine bytes of the request line (longer: 414)
   * @param maxHeaderBytes bytes of all header lines together (more: 431)
   * @param maxHeaders header lines (more: 431)
   */
  public record Settings(
      int maxConnections,
      Duration requestTimeout,
      Duration exchangeTimeout,
      Duration idleTimeout,
      int maxRequestLine,
      int maxHeaderBytes,
      int maxHeaders) {
    public Settings {
      Objects.requireNonNull(requestTimeout, "requestTimeout");
      Objects.requireNonNull(exchangeTimeout, "exchangeTimeout");
      Objects.requireNonNull(idleTimeout, "idleTimeout");
      if (maxConnections < 1 || maxRequestLine < 64 || maxHeaderBytes < 256 || maxHeaders < 1) {
        throw new IllegalArgumentException("HTTP server bounds too small");
      }
    }
  }

  /** Handles one request; must answer through the {@link Response} (or throw). */
  public interface Handler {
    void handle(Request request, Response response) throws IOException;

    /** The body of an error the server answers itself (malformed requests, limits). */
    byte[] errorBody(int status, String code, String field, String message);
  }

  /** Something to tell about a connection that ended badly (never about a normal close). */
  public interface Events {
    void connectionRefused(InetSocketAddress remote, String why);

    void requestFailed(String target, Exception e);
  }

  private static final Duration REAPER_TICK = Duration.ofMillis(100);

  private final Settings settings;
  private final Handler handler;
  private final Events events;
  private final ServerSocket listener;
  private final Semaphore slots;
  private final Set<Connection> open = ConcurrentHashMap.newKeySet();
  private final AtomicLong refused = new AtomicLong();
  private final AtomicLong timedOut = new AtomicLong();
  private volatile boolean closed;

  private HttpServer(Settings settings, Handler handler, Events events, ServerSocket listener) {
    this.settings = settings;
    this.handler = handler;
    this.events = events;
    this.listener = listener;
    this.slots = new Semaphore(settings.maxConnections());
  }

  /** Binds and starts serving. */
  public static HttpServer start(
      InetSocketAddress bind, int backlog, Settings settings, Handler handler, Events events)
      throws IOException {
    ServerSocket ss = new ServerSocket();
    ss.setReuseAddress(true);
    ss.bind(bind, backlog);
    HttpServer s = new HttpServer(settings, handler, events, ss);
    // Platform threads for the two loops that live as long as the server (see the class comment on
    // carriers): accept blocks in the kernel, the reaper sleeps.
    Thread.ofPlatform().daemon(true).name("plasm-http-accept").start(s::acceptLoop);
    Thread.ofPlatform().daemon(true).name("plasm-http-reaper").start(s::reapLoop);
    return s;
  }

  public InetSocketAddress address() {
    return (InetSocketAddress) listener.getLocalSocketAddress();
  }

  Settings settings() {
    return settings;
  }

  Handler handler() {
    return handler;
  }

  Events events() {
    return events;
  }

  /** Connections open now. */
  public int openConnections() {
    return open.size();
  }

  /** Connections refused because {@link Settings#maxConnections} were open. */
  public long refusedConnections() {
    return refused.get();
  }

  /** Connections closed because a request or an exchange ran out of time. */
  public long timedOutConnections() {
    return timedOut.get();
  }

  void timedOut() {
    timedOut.incrementAndGet();
  }

  private void acceptLoop() {
    while (!closed) {
      Socket s;
      try {
        s = listener.accept();
      } catch (IOException e) {
        if (closed) {
          return;
        }
        // e.g. EMFILE: back off instead of spinning, then go on accepting.
        sleep(Duration.ofMillis(50));
        continue;
      }
      if (!slots.tryAcquire()) {
        refused.incrementAndGet();
        refuse(s);
        continue;
      }
      Connection c;
      try {
        c = new Connection(this, s);
      } catch (IOException e) {
        slots.release();
        closeQuietly(s);
        continue;
      }
      open.add(c);
      Thread.ofVirtual()
          .name("plasm-http " + s.getRemoteSocketAddress())
          .start(
              () -> {
                try {
                  c.serve();
                } finally {
                  open.remove(c);
                  slots.release();
                }
              });
    }
  }

  /** Answers one connection over the cap with 503 and closes it; a few hundred bytes never block. */
  private void refuse(Socket s) {
    try (s) {
      s.setSoTimeout(100);
      byte[] body =
          handler.errorBody(
              503,
              "too-many-connections",
              null,
              "this daemon has "
                  + settings.maxConnections()
                  + " connections open (api.max-connections); retry later");
      String head =
          "HTTP/1.1 503 Service Unavailable\r\nContent-Type: application/json\r\nContent-Length: "
              + body.length
              + "\r\nRetry-After: 1\r\nConnection: close\r\n\r\n";
      OutputStream out = s.getOutputStream();
      out.write(head.getBytes(StandardCharsets.ISO_8859_1));
      out.write(body);
      out.flush();
      s.shutdownOutput();
      events.connectionRefused(
          (InetSocketAddress) s.getRemoteSocketAddress(), "over api.max-connections");
    } catch (IOException e) {
      // The client is gone; nothing to tell it.
    }
  }

  private void reapLoop() {
    while (!closed) {
      sleep(REAPER_TICK);
      long now = System.nanoTime();
      for (Connection c : open) {
        if (c.overdue(now)) {
          c.abort();
        }
      }
    }
  }

  /** Stops accepting and closes every connection (in-flight exchanges end with it). */
  @Override
  public void close() {
    closed = true;
    closeQuietly(listener);
    for (Connection c : open) {
      c.abort();
    }
  }

  static void closeQuietly(AutoCloseable c) {
    try {
      c.close();
    } catch (Exception e) {
      // Closing is best effort.
    }
  }

  static void sleep(Duration d) {
    try {
      Thread.sleep(d);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static boolean isReset(IOException e) {
    return e instanceof SocketException;
  }
}
