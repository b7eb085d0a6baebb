package dev.plasm.daemon;

import static dev.plasm.daemon.DaemonProcess.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.fixtures.Fixtures;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;
import tools.jackson.databind.JsonNode;

/**
 * A hostile client against one real daemon, over raw sockets where the HTTP client would not send
 * what is being tried: types and text the API must refuse, content types, headers, lengths and
 * codings, slow readers and writers, connection floods. Each refusal is checked as the client sees it.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DaemonAbuseTests {
  @TempDir static Path tmp;
  static DaemonProcess d;
  static int port;
  static String helloSha;

  @BeforeAll
  static void start() throws Exception {
    d =
        DaemonProcess.start(
            tmp.resolve("state"),
            """
        [api]
        request-timeout = "2s"
        max-wait = "2s"
        max-connections = 16
        [jobs]
        concurrency = 1
        [limits]
        timeout = "20s"
        memory = "64MiB"
        output = "8MiB"
        """);
    port = URI.create(d.base).getPort();
    byte[] hello = Files.readAllBytes(DaemonConfigTests.repoRoot().resolve("examples/hello.wasm"));
    helloSha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(hello));
    d.postBytes("/v1/modules", hello);
  }

  @AfterAll
  static void stop() throws Exception {
    if (d != null) {
      d.close();
    }
  }

  // ---- types and text

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "timeout as a string|{\"module\": \"HELLO\", \"limits\": {\"timeoutMillis\": \"2000\"}}|limits.timeoutMillis",
        "timeout as a padded string|{\"module\": \"HELLO\", \"limits\": {\"timeoutMillis\": \" 2000\"}}|limits.timeoutMillis",
        "fuel as a string|{\"module\": \"HELLO\", \"engine\": \"chicory-interpreter\", \"limits\": {\"fuel\": \"10\"}}|limits.fuel",
        "memory as a boolean|{\"module\": \"HELLO\", \"limits\": {\"maxMemoryBytes\": true}}|limits.maxMemoryBytes",
        "deterministic as a string|{\"module\": \"HELLO\", \"deterministic\": \"true\"}|deterministic",
        "deterministic as a number|{\"module\": \"HELLO\", \"deterministic\": 1}|deterministic",
        "programName as a number|{\"module\": \"HELLO\", \"programName\": 42}|programName",
        "args as numbers|{\"module\": \"HELLO\", \"args\": [1, 2]}|args[0]",
        "an arg as null|{\"module\": \"HELLO\", \"args\": [\"a\", null]}|args[1]",
        "env value as a number|{\"module\": \"HELLO\", \"env\": {\"A\": 1}}|env.A",
        "env as an array|{\"module\": \"HELLO\", \"env\": [\"A=1\"]}|env",
        "limits as a number|{\"module\": \"HELLO\", \"limits\": 5}|limits",
        "module as a number|{\"module\": 5}|module",
        "engine as an array|{\"module\": \"HELLO\", \"engine\": [\"wasmtime\"]}|engine",
        "nonce as a number|{\"module\": \"HELLO\", \"nonce\": 7}|nonce",
        "a null field|{\"module\": \"HELLO\", \"programName\": null}|programName",
      })
  void typesAreCheckedNotCoerced(String name, String body, String field) throws Exception {
    HttpResponse<String> r = d.post("/v1/jobs", body.replace("HELLO", helloSha));
    assertError(r, 400, "invalid-value", field);
    String message = json(r).get("error").get("message").asString();
    // In the request's terms: no Java or Jackson names.
    for (String internal :
        List.of(
            "java.", "jackson", "Jackson", "Long", "Integer", "Boolean", "coerc", "`", "token")) {
      assertFalse(
          message.contains(internal), "message names an internal (" + internal + "): " + message);
    }
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "lone high surrogate in programName|{\"module\": \"HELLO\", \"programName\": \"\\uD800x\"}|invalid-value|programName",
        "lone low surrogate in an arg|{\"module\": \"HELLO\", \"args\": [\"ok\", \"\\uDC00\"]}|invalid-value|args[1]",
        "reversed pair in an env value|{\"module\": \"HELLO\", \"env\": {\"A\": \"\\uDC00\\uD800\"}}|invalid-value|env.A",
        // The JSON parser itself refuses a broken pair in a key: the document is not valid JSON.
        "lone surrogate in an env name|{\"module\": \"HELLO\", \"env\": {\"\\uD800\": \"x\"}}|invalid-json|",
      })
  void textThatIsNotUnicodeIsRefused(String name, String body, String code, String field)
      throws Exception {
    assertError(d.post("/v1/jobs", body.replace("HELLO", helloSha)), 400, code, field);
  }

  @Test
  void aByteOrderMarkBeforeTheJsonIsRefused() throws Exception {
    byte[] json = ("{\"module\": \"" + helloSha + "\"}").getBytes(StandardCharsets.UTF_8);
    byte[] bom = new byte[json.length + 3];
    bom[0] = (byte) 0xEF;
    bom[1] = (byte) 0xBB;
    bom[2] = (byte) 0xBF;
    System.arraycopy(json, 0, bom, 3, json.length);
    HttpResponse<String> r =
        d.http.send(
            d.request("/v1/jobs")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(bom))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertError(r, 400, "invalid-json", null);
    assertTrue(json(r).get("error").get("message").asString().contains("byte order mark"), r::body);
  }

  @Test
  void invalidUtf8IsRefused() throws Exception {
    byte[] json =
        ("{\"module\": \"" + helloSha + "\", \"programName\": \"a?b\"}")
            .getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < json.length; i++) {
      if (json[i] == '?') {
        json[i] = (byte) 0xC3; // a lead byte followed by an ASCII byte
      }
    }
    HttpResponse<String> r =
        d.http.send(
            d.request("/v1/jobs")
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(json))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertError(r, 400, "invalid-json", null);
  }

  // ---- content types

  @ParameterizedTest
  @ValueSource(
      strings = {
        "text/plain",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=x",
        "application/json; charset=iso-8859-1",
        "application/jsonx",
        "NONE"
      })
  void jsonEndpointsRefuseOtherContentTypes(String type) throws Exception {
    HttpRequest.Builder b =
        d.request("/v1/jobs")
            .POST(HttpRequest.BodyPublishers.ofString("{\"module\": \"" + helloSha + "\"}"));
    if (!type.equals("NONE")) {
      b.header("Content-Type", type);
    }
    HttpResponse<String> r = d.http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    assertError(r, 415, "unsupported-media-type", "Content-Type");
  }

  @Test
  void jsonWithTheUtf8CharsetParameterIsAccepted() throws Exception {
    HttpResponse<String> r =
        d.http.send(
            d.request("/v1/jobs")
                .header("Content-Type", "Application/JSON; charset=UTF-8")
                .POST(HttpRequest.BodyPublishers.ofString("{\"module\": \"" + helloSha + "\"}"))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(202, r.statusCode(), r::body);
  }

  @Test
  void moduleUploadsRefuseOtherContentTypes() throws Exception {
    HttpResponse<String> r =
        d.http.send(
            d.request("/v1/modules")
                .header("Content-Type", "text/plain")
                .POST(HttpRequest.BodyPublishers.ofByteArray(Fixtures.bytes("exit-code")))
                .build(),
            HttpResponse.BodyHandlers.ofString());
    assertError(r, 415, "unsupported-media-type", "Content-Type");
  }

  // ---- the request's line, headers, lengths and codings

  @Test
  void tooManyHeadersGet431NotAReset() throws Exception {
    StringBuilder h = new StringBuilder();
    for (int i = 0; i < 150; i++) {
      h.append("X-H").append(i).append(": v\r\n");
    }
    String answer = raw("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n" + h + "\r\n");
    assertStatus(answer, 431, "headers-too-large");
  }

  @Test
  void hugeHeadersGet431NotAReset() throws Exception {
    String answer =
        raw(
            "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:"
                + port
                + "\r\nX-Big: "
                + "a".repeat(400 * 1024)
                + "\r\n\r\n");
    assertStatus(answer, 431, "headers-too-large");
  }

  @Test
  void aHugeRequestLineGets414() throws Exception {
    String answer =
        raw(
            "GET /healthz?x="
                + "a".repeat(20_000)
                + " HTTP/1.1\r\nHost: 127.0.0.1:"
                + port
                + "\r\n\r\n");
    assertStatus(answer, 414, "uri-too-long");
  }

  @ParameterizedTest
  @ValueSource(strings = {"+5", "-1", "0x10", "1e3", "5, 5", "99999999999999999999"})
  void aContentLengthThatIsNotPlainDigitsIs400(String value) throws Exception {
    String answer = raw(post("/v1/jobs", "Content-Length: " + value + "\r\n", "{}"));
    assertStatus(answer, 400, "bad-request");
    assertTrue(
        answer.contains("\"field\" : \"Content-Length\"")
            || answer.contains("\"field\":\"Content-Length\""),
        answer);
  }

  @Test
  void twoContentLengthsOrBothCodingsAre400() throws Exception {
    assertStatus(
        raw(post("/v1/jobs", "Content-Length: 2\r\nContent-Length: 2\r\n", "{}")),
        400,
        "bad-request");
    assertStatus(
        raw(
            post(
                "/v1/jobs",
                "Content-Length: 2\r\nTransfer-Encoding: chunked\r\n",
                "2\r\n{}\r\n0\r\n\r\n")),
        400,
        "bad-request");
  }

  @Test
  void codingsOtherThanChunkedAre501() throws Exception {
    assertStatus(raw(post("/v1/jobs", "Transfer-Encoding: gzip\r\n", "")), 501, "not-implemented");
  }

  @Test
  void aChunkedBodyIsReadAndABrokenOneRefused() throws Exception {
    String body = "{\"module\": \"" + helloSha + "\"}";
    String chunked =
        Integer.toHexString(10)
            + "\r\n"
            + body.substring(0, 10)
            + "\r\n"
            + Integer.toHexString(body.length() - 10)
            + ";ext=1\r\n"
            + body.substring(10)
            + "\r\n0\r\nX-Trailer: t\r\n\r\n";
    assertTrue(
        raw(post("/v1/jobs", "Transfer-Encoding: chunked\r\n", chunked))
            .startsWith("HTTP/1.1 202 "));
    assertStatus(
        raw(post("/v1/jobs", "Transfer-Encoding: chunked\r\n", "zz\r\n{}\r\n0\r\n\r\n")),
        400,
        "bad-request");
    assertStatus(
        raw(post("/v1/jobs", "Transfer-Encoding: chunked\r\n", "2\r\n{}XX0\r\n\r\n")),
        400,
        "bad-request");
  }

  @Test
  void aHugeContentLengthIsRefusedAtOnceWithoutWaitingForTheBody() throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      long t0 = System.nanoTime();
      s.getOutputStream()
          .write(
              ("POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1:"
                      + port
                      + "\r\nAuthorization: Bearer "
                      + d.token
                      + "\r\nContent-Type: application/json\r\nContent-Length: 1073741824\r\n\r\n{\"modu")
                  .getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush(); // ... and then nothing more: a stalled upload
      String answer = readAll(s.getInputStream());
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertStatus(answer, 413, "payload-too-large");
      assertTrue(answer.contains("Connection: close"), answer);
      assertTrue(
          ms < 1_500, "the 413 and the close took " + ms + " ms"); // was the request timeout (30 s)
    }
  }

  @Test
  void aRefusalBeforeTheBodyIsReadSaysTheConnectionCloses() throws Exception {
    // A keep-alive client must learn that this socket ends: its pool would reuse it otherwise.
    String body = "{\"module\": \"" + helloSha + "\"}";
    String answer =
        raw(
            "POST /v1/jobs?wiat=1s HTTP/1.1\r\nHost: 127.0.0.1:"
                + port
                + "\r\nAuthorization: Bearer "
                + d.token
                + "\r\nContent-Type: application/json\r\nContent-Length: "
                + body.length()
                + "\r\n\r\n"
                + body);
    assertStatus(answer, 400, "unknown-field");
    assertTrue(answer.contains("Connection: close"), answer);
  }

  @Test
  void expectContinueIsAnsweredBeforeTheBodyAndNotForARefusal() throws Exception {
    String body = "{\"module\": \"" + helloSha + "\"}";
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(
          ("POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1:"
                  + port
                  + "\r\nAuthorization: Bearer "
                  + d.token
                  + "\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: "
                  + body.length()
                  + "\r\nConnection: close\r\n\r\n")
              .getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      byte[] cont = in.readNBytes("HTTP/1.1 100 Continue\r\n\r\n".length());
      assertEquals("HTTP/1.1 100 Continue\r\n\r\n", new String(cont, StandardCharsets.ISO_8859_1));
      out.write(body.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      assertTrue(readAll(in).startsWith("HTTP/1.1 202 "));
    }
    // Without the token the final answer comes at once: the client need not send its body.
    String refused =
        raw(
            "POST /v1/jobs HTTP/1.1\r\nHost: 127.0.0.1:"
                + port
                + "\r\nContent-Type: application/json\r\nExpect: 100-continue\r\nContent-Length: 1000000\r\n\r\n");
    assertStatus(refused, 401, "unauthorized");
    assertFalse(refused.contains("100 Continue"), refused);
  }

  @Test
  void malformedRequestLinesAndHeadersAre400() throws Exception {
    for (String bad :
        List.of(
            "GET /healthz HTTP/1.1\nHost: 127.0.0.1:" + port + "\n\n", // bare LF
            "GET  /healthz HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n", // two spaces
            "GET /healthz HTTP/1.1\r\nHost : 127.0.0.1:"
                + port
                + "\r\n\r\n", // space before the colon
            "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:"
                + port
                + "\r\nX: a\r\n b\r\n\r\n", // folding
            "GET http://evil/healthz HTTP/1.1\r\nHost: 127.0.0.1:"
                + port
                + "\r\n\r\n", // absolute form
            "GET /healthz HTTP/1.1\r\n\r\n", // no Host
            "GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n")) { // two Hosts
      assertStatus(raw(bad), 400, "bad-request");
    }
    assertStatus(
        raw("GET /healthz HTTP/2.0\r\nHost: 127.0.0.1:" + port + "\r\n\r\n"),
        505,
        "version-not-supported");
  }

  // ---- time and connections

  @Test
  void aSlowReaderIsCutOffAtTheExchangeDeadline() throws Exception {
    // 8 MiB of output (the node's output cap), then read by a client that takes 10 bytes at a time.
    String job =
        d.submit(
            "{\"moduleBase64\": \""
                + Base64.getEncoder().encodeToString(Fixtures.bytes("probe"))
                + "\", \"args\": [\"flood\"]}");
    JsonNode done = d.await(job, 60);
    assertEquals("output", done.path("outcome").path("detail").asString(), done::toString);
    long before = metric("plasm_http_connections_timed_out_total");
    try (Socket s = new Socket()) {
      s.setReceiveBufferSize(2048);
      s.connect(new InetSocketAddress("127.0.0.1", port));
      s.setSoTimeout(20_000);
      s.getOutputStream()
          .write(
              ("GET /v1/jobs/"
                      + job
                      + "/stdout HTTP/1.1\r\nHost: 127.0.0.1:"
                      + port
                      + "\r\nAuthorization: Bearer "
                      + d.token
                      + "\r\n\r\n")
                  .getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      long t0 = System.nanoTime();
      long total = 0;
      byte[] buf = new byte[10];
      try {
        int n;
        while ((n = s.getInputStream().read(buf)) > 0) {
          total += n;
          Thread.sleep(5);
        }
      } catch (SocketException e) {
        // reset: cut off
      }
      long ms = (System.nanoTime() - t0) / 1_000_000;
      // The exchange bound is request-timeout + max-wait + request-timeout = 6 s here.
      assertTrue(total < 8 << 20, "the slow reader got the whole body (" + total + " bytes)");
      assertTrue(ms < 15_000, "the slow reader was held " + ms + " ms");
    }
    assertTrue(metric("plasm_http_connections_timed_out_total") > before);
    assertEquals(200, d.get("/healthz").statusCode());
  }

  @Test
  void connectionsAreCappedAnd503IsAnsweredAtTheCap() throws Exception {
    List<Socket> held = new ArrayList<>();
    try {
      for (int i = 0; i < 16; i++) {
        held.add(
            new Socket("127.0.0.1", port)); // idle: each holds a connection until request-timeout
      }
      String answer = raw("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n");
      assertStatus(answer, 503, "too-many-connections");
      assertTrue(answer.contains("Retry-After: "), answer);
    } finally {
      for (Socket s : held) {
        s.close();
      }
    }
    long until = System.nanoTime() + 5_000_000_000L;
    String ok;
    do {
      ok =
          raw("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n\r\n");
    } while (!ok.startsWith("HTTP/1.1 200") && System.nanoTime() < until);
    assertTrue(ok.startsWith("HTTP/1.1 200"), ok);
    assertTrue(metric("plasm_http_connections_refused_total") >= 1);
  }

  @Test
  void anIdleKeepAliveConnectionIsClosedAfterTheRequestTimeout() throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      s.getOutputStream()
          .write(
              ("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\n\r\n")
                  .getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      InputStream in = s.getInputStream();
      byte[] head = in.readNBytes(15);
      assertEquals("HTTP/1.1 200 OK", new String(head, StandardCharsets.ISO_8859_1));
      long t0 = System.nanoTime();
      readAll(in); // the rest of the answer, then the close
      long ms = (System.nanoTime() - t0) / 1_000_000;
      assertTrue(ms >= 1_500 && ms < 8_000, "closed after " + ms + " ms");
    }
  }

  // ---- memory

  @Test
  void listingJobsWithLargeArgumentsSendsSmallPagesAndMemoryStaysFlat() throws Exception {
    String big = "x".repeat(256 * 1024);
    String body =
        "{\"module\": \""
            + helloSha
            + "\", \"args\": [\""
            + big
            + "\", \""
            + big
            + "\", \""
            + big
            + "\", \""
            + big
            + "\"]}";
    List<String> ids = new ArrayList<>();
    for (int i = 0; i < 12; i++) {
      ids.add(d.submit(body));
    }
    for (String id : ids) {
      d.await(id, 60);
    }
    long before = rss(d.process.pid());
    for (int i = 0; i < 40; i++) {
      HttpResponse<String> r = d.get("/v1/jobs?limit=1000");
      // 12 MiB of arguments were submitted; a listing carries none of them.
      assertTrue(r.body().length() < 256 * 1024, "a listing of " + r.body().length() + " bytes");
    }
    long after = rss(d.process.pid());
    JsonNode page = json(d.get("/v1/jobs?limit=1000"));
    int seen = 0;
    for (JsonNode j : page.get("jobs")) {
      if (ids.contains(j.get("id").asString())) {
        seen++;
        assertFalse(j.has("args"), "a summary has no args");
        assertEquals(4, j.get("argCount").asInt());
      }
    }
    assertEquals(ids.size(), seen);
    assertTrue(
        after - before < 64L << 20,
        "RSS grew " + ((after - before) >> 20) + " MiB over 40 listings");
    // One job, asked for by id, still has everything.
    assertEquals(big, json(d.get("/v1/jobs/" + ids.get(0))).get("args").get(3).asString());
  }

  static long rss(long pid) throws Exception {
    for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new AssertionError("no VmRSS for " + pid);
  }

  // ---- helpers

  static String post(String path, String headers, String body) {
    return "POST "
        + path
        + " HTTP/1.1\r\nHost: 127.0.0.1:"
        + port
        + "\r\nAuthorization: Bearer "
        + d.token
        + "\r\nContent-Type: application/json\r\nConnection: close\r\n"
        + headers
        + "\r\n"
        + body;
  }

  /** Sends {@code request} and reads until the server closes; a reset counts as the end. */
  static String raw(String request) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      s.getOutputStream().write(request.getBytes(StandardCharsets.ISO_8859_1));
      s.getOutputStream().flush();
      return readAll(s.getInputStream());
    }
  }

  static String readAll(InputStream in) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    byte[] buf = new byte[8192];
    try {
      int n;
      while ((n = in.read(buf)) > 0) {
        b.write(buf, 0, n);
      }
    } catch (SocketException e) {
      // reset after what was read
    }
    return b.toString(StandardCharsets.ISO_8859_1);
  }

  static void assertStatus(String answer, int status, String code) {
    assertTrue(
        answer.startsWith("HTTP/1.1 " + status + " "),
        "want " + status + ", got: " + abbreviate(answer));
    assertTrue(
        answer.contains("\"" + code + "\""), "want code " + code + ": " + abbreviate(answer));
  }

  static void assertError(HttpResponse<String> r, int status, String code, String field) {
    assertEquals(status, r.statusCode(), r::body);
    JsonNode e = json(r).get("error");
    assertEquals(code, e.get("code").asString(), r::body);
    if (field != null) {
      assertEquals(field, e.has("field") ? e.get("field").asString() : null, r::body);
    }
    assertFalse(e.get("message").asString().isBlank());
  }

  static long metric(String name) throws Exception {
    for (String line : d.get("/metrics").body().split("\n")) {
      if (line.startsWith(name + " ")) {
        return Long.parseLong(line.substring(name.length() + 1).strip());
      }
    }
    throw new AssertionError("no metric " + name);
  }

  static String abbreviate(String s) {
    return s.length() > 600 ? s.substring(0, 600) + "..." : s;
  }
}
