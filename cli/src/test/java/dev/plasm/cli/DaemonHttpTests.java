package dev.plasm.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

/**
 * The client commands' HTTP/1.1 over a plain socket, against a loopback server that answers with
 * the forms a server may use (the daemon always sends a Content-Length; a proxy in between may not).
 */
class DaemonHttpTests {

  /** Serves one connection: reads the request head and body, answers {@code answer}, closes. */
  private static CompletableFuture<String> serveOnce(ServerSocket server, String answer) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (Socket s = server.accept()) {
            InputStream in = s.getInputStream();
            ByteArrayOutputStream head = new ByteArrayOutputStream();
            while (!head.toString(StandardCharsets.ISO_8859_1).endsWith("\r\n\r\n")) {
              int c = in.read();
              if (c < 0) {
                break;
              }
              head.write(c);
            }
            String h = head.toString(StandardCharsets.ISO_8859_1);
            var m = java.util.regex.Pattern.compile("(?i)content-length: (\\d+)").matcher(h);
            String body =
                m.find()
                    ? new String(
                        in.readNBytes(Integer.parseInt(m.group(1))), StandardCharsets.UTF_8)
                    : "";
            s.getOutputStream().write(answer.getBytes(StandardCharsets.ISO_8859_1));
            s.getOutputStream().flush();
            return h + body;
          } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
          }
        });
  }

  private static ServerSocket loopback() throws IOException {
    return new ServerSocket(0, 1, InetAddress.getLoopbackAddress());
  }

  private static DaemonHttp to(ServerSocket server) {
    return new DaemonHttp("http://127.0.0.1:" + server.getLocalPort());
  }

  @Test
  void sendsTheTokenAndABodyWithItsLengthAndReportsProgress() throws Exception {
    try (ServerSocket server = loopback()) {
      var seen =
          serveOnce(
              server,
              "HTTP/1.1 201 Created\r\nContent-Length: 2\r\nX-Plasm-Next-Offset: 7\r\n\r\nok");
      byte[] body = new byte[200_000];
      java.util.Arrays.fill(body, (byte) 'x');
      List<Long> progress = new ArrayList<>();
      DaemonHttp.Response r =
          to(server)
              .exchange(
                  "POST",
                  "/v1/modules?x=1",
                  "secret",
                  "application/wasm",
                  body,
                  Duration.ofSeconds(10),
                  progress::add);
      assertEquals(201, r.status());
      assertEquals("ok", new String(r.body(), StandardCharsets.UTF_8));
      assertEquals("7", r.header("x-plasm-next-offset"), "header names are case-insensitive");
      String request = seen.get();
      assertTrue(request.startsWith("POST /v1/modules?x=1 HTTP/1.1\r\n"), request);
      assertTrue(
          request.contains("\r\nHost: 127.0.0.1:" + server.getLocalPort() + "\r\n"), request);
      assertTrue(request.contains("\r\nAuthorization: Bearer secret\r\n"), request);
      assertTrue(request.contains("\r\nContent-Type: application/wasm\r\n"), request);
      assertTrue(request.contains("\r\nContent-Length: 200000\r\n"), request);
      assertTrue(
          request.endsWith(new String(body, StandardCharsets.UTF_8)), "the whole body arrived");
      assertEquals(200_000L, progress.getLast(), progress::toString);
      assertTrue(progress.size() > 1, "progress in pieces: " + progress);
    }
  }

  private static Cli.Result showJob(String daemon, String id, String... more) {
    List<String> args = new ArrayList<>(List.of("job", "show", "--daemon", daemon, id));
    args.addAll(List.of(more));
    return Cli.run(new byte[0], java.util.Map.of("PLASM_TOKEN", "t"), args.toArray(String[]::new));
  }

  @Test
  void aJobInAStateThisPlasmDoesNotKnowIsRefusedNamingItAndJsonShowsItAsItIs() throws Exception {
    String id = "0190000000ab-0123456789abcdef";
    String job =
        "{\"id\":\"" + id + "\",\"state\":\"paused\",\"createdAt\":\"2026-12-01T00:00:00Z\"}";
    String answer =
        "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
            + job.length()
            + "\r\n\r\n"
            + job;
    try (ServerSocket server = loopback()) {
      String daemon = "127.0.0.1:" + server.getLocalPort();
      var seen = serveOnce(server, answer);
      Cli.Result r = showJob(daemon, id);
      assertTrue(seen.get().startsWith("GET /v1/jobs/" + id + " HTTP/1.1\r\n"), seen::join);
      assertEquals(DaemonClient.UNAVAILABLE, r.exitCode(), r::toString);
      assertEquals("", r.out(), r::toString);
      assertTrue(
          r.err()
              .startsWith(
                  "plasm: job show: the daemon at http://"
                      + daemon
                      + " sent a job this plasm cannot read: state: 'paused' is not a job state;"
                      + " expected one of queued, running, finished, cancelled, interrupted"),
          r::toString);

      serveOnce(server, answer);
      Cli.Result json = showJob(daemon, id, "--json");
      assertEquals(0, json.exitCode(), json::toString);
      assertTrue(json.out().contains("\"state\" : \"paused\""), json::toString);
    }
  }

  @Test
  void readsChunkedAndCloseDelimitedBodies() throws Exception {
    try (ServerSocket server = loopback()) {
      var seen =
          serveOnce(
              server,
              "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5;x=y\r\nhello\r\n7\r\n, world\r\n0\r\n\r\n");
      DaemonHttp.Response r =
          to(server).exchange("GET", "/v1/jobs", "", null, null, Duration.ofSeconds(10), null);
      assertEquals("hello, world", new String(r.body(), StandardCharsets.UTF_8));
      assertTrue(
          !seen.get().contains("Authorization") && !seen.get().contains("Content-Length"),
          seen.get());

      serveOnce(server, "HTTP/1.1 404 Not Found\r\nConnection: close\r\n\r\n{\"error\":{}}");
      r = to(server).exchange("GET", "/v1/jobs/x", "", null, null, Duration.ofSeconds(10), null);
      assertEquals(404, r.status());
      assertArrayEquals("{\"error\":{}}".getBytes(StandardCharsets.UTF_8), r.body());
    }
  }

  @Test
  void aTruncatedOrMalformedAnswerIsAnError() throws Exception {
    try (ServerSocket server = loopback()) {
      serveOnce(server, "HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nshort");
      var e =
          assertThrows(
              EOFException.class,
              () -> to(server).exchange("GET", "/", "", null, null, Duration.ofSeconds(10), null));
      assertTrue(e.getMessage().contains("5 bytes short"), e.getMessage());

      serveOnce(server, "SSH-2.0-OpenSSH\r\n");
      var bad =
          assertThrows(
              IOException.class,
              () -> to(server).exchange("GET", "/", "", null, null, Duration.ofSeconds(10), null));
      assertTrue(bad.getMessage().contains("not an HTTP/1.1 response"), bad.getMessage());
    }
  }

  @Test
  void nothingListeningIsAConnectExceptionAndASilentServerTimesOut() throws Exception {
    int closed;
    try (ServerSocket s = loopback()) {
      closed = s.getLocalPort();
    }
    int port = closed;
    assertThrows(
        ConnectException.class,
        () ->
            new DaemonHttp("http://127.0.0.1:" + port)
                .exchange("GET", "/", "", null, null, Duration.ofSeconds(10), null));
    try (ServerSocket server = loopback()) {
      CompletableFuture<Socket> held =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return server.accept(); // accepts and never answers
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });
      long start = System.nanoTime();
      assertThrows(
          SocketTimeoutException.class,
          () -> to(server).exchange("GET", "/", "", null, null, Duration.ofMillis(300), null));
      assertTrue(System.nanoTime() - start < Duration.ofSeconds(10).toNanos());
      held.get().close();
    }
  }

  @Test
  void nothingFromTheCommandLineChangesTheRequestsShape() throws Exception {
    try (ServerSocket server = loopback()) {
      DaemonHttp http = to(server);
      for (String target :
          new String[] {"/v1/jobs/x\r\nX-Evil: 1", "/v1/jobs/a b", "v1/jobs", "/v1/jobs/\u00e9"}) {
        var e =
            assertThrows(
                IllegalArgumentException.class,
                () -> http.exchange("GET", target, "", null, null, Duration.ofSeconds(1), null),
                target);
        assertTrue(e.getMessage().contains("not a request target"), e.getMessage());
      }
      assertThrows(
          IllegalArgumentException.class,
          () ->
              http.exchange("GET", "/v1/jobs", "tok\nen", null, null, Duration.ofSeconds(1), null));
    }
    var o = new DaemonClient.Options();
    o.address = "127.0.0.1:1";
    var f =
        assertThrows(
            DaemonClient.Failure.class,
            () ->
                new DaemonClient(o, java.util.Map.of("PLASM_HOME", "/nonexistent"))
                    .getJson("/v1/jobs/a\r\nb"));
    assertEquals(ExitCodes.USAGE, f.exitCode, f.getMessage());
  }

  @Test
  void aBadAddressIsAUsageErrorNamingIt() {
    var o = new DaemonClient.Options();
    o.address = "not a host:port";
    var f =
        assertThrows(
            DaemonClient.Failure.class,
            () -> new DaemonClient(o, java.util.Map.of("PLASM_HOME", "/nonexistent")));
    assertEquals(ExitCodes.USAGE, f.exitCode);
    assertTrue(f.getMessage().contains("'not a host:port'"), f.getMessage());
  }
}
