package dev.plasm.daemon;

import static dev.plasm.daemon.DaemonProcess.json;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.fixtures.Fixtures;
import dev.plasm.host.ReceiptSchemes;
import dev.plasm.host.ReceiptVerifier;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.MessageDigest;
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
import tools.jackson.databind.JsonNode;

/** The HTTP API of one real daemon process, driven over loopback. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class DaemonApiTests {
  static final String HELLO_OUT = "Hello from WebAssembly!\narg 1: world\n";

  @TempDir static Path tmp;
  static DaemonProcess d;
  static byte[] hello;
  static String helloSha;

  @BeforeAll
  static void start() throws Exception {
    d =
        DaemonProcess.start(
            tmp.resolve("state"),
            """
        [api]
        max-json-body = "64KiB"
        [jobs]
        concurrency = 2
        [limits]
        timeout = "30s"
        memory = "64MiB"
        module-size = "1MiB"
        [workers]
        kill-grace = "5s"
        """);
    hello = Files.readAllBytes(DaemonConfigTests.repoRoot().resolve("examples/hello.wasm"));
    helloSha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(hello));
  }

  @AfterAll
  static void stop() throws Exception {
    if (d != null) {
      d.close();
    }
  }

  @Test
  void healthzNeedsNoTokenButEverythingElseDoes() throws Exception {
    var noToken =
        d.http.send(
            HttpRequest.newBuilder(URI.create(d.base + "/healthz")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(200, noToken.statusCode());
    for (String path :
        List.of("/v1/node", "/v1/jobs", "/metrics", "/v1/modules/" + "0".repeat(64))) {
      var r =
          d.http.send(
              HttpRequest.newBuilder(URI.create(d.base + path)).build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(401, r.statusCode(), path);
      assertEquals("unauthorized", json(r).get("error").get("code").asString());
      assertTrue(r.headers().firstValue("WWW-Authenticate").orElse("").startsWith("Bearer"));
      var wrong =
          d.http.send(
              HttpRequest.newBuilder(URI.create(d.base + path))
                  .header("Authorization", "Bearer " + d.token + "x")
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertEquals(401, wrong.statusCode(), path);
    }
    assertEquals(
        "rw-------",
        PosixFilePermissions.toString(Files.getPosixFilePermissions(d.state.resolve("token"))));
    assertTrue(d.token.length() >= 40);
  }

  @Test
  void aForeignHostHeaderIsRefused() throws Exception {
    int port = URI.create(d.base).getPort();
    String ok =
        raw(
            port,
            "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:" + port + "\r\nConnection: close\r\n\r\n");
    assertTrue(ok.startsWith("HTTP/1.1 200"), ok);
    String evil =
        raw(
            port,
            "GET /v1/node HTTP/1.1\r\nHost: evil.example:"
                + port
                + "\r\nAuthorization: Bearer "
                + d.token
                + "\r\nConnection: close\r\n\r\n");
    assertTrue(evil.startsWith("HTTP/1.1 421"), evil);
    assertTrue(evil.contains("\"bad-host\""), evil);
    String otherPort =
        raw(port, "GET /healthz HTTP/1.1\r\nHost: localhost:1\r\nConnection: close\r\n\r\n");
    assertTrue(otherPort.startsWith("HTTP/1.1 421"), otherPort);
  }

  static String raw(int port, String request) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(10_000);
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }

  @Test
  void nodeDescribesItself() throws Exception {
    JsonNode n = json(d.get("/v1/node"));
    assertTrue(n.get("peerId").asString().startsWith("12D3KooW"), n::toString);
    assertTrue(n.get("engines").size() >= 2, n::toString);
    assertEquals(64L << 20, n.get("limits").get("maxMemoryBytes").asLong());
    assertEquals(2, n.get("queue").get("concurrency").asInt());
  }

  @Test
  void modulesAreContentAddressed() throws Exception {
    var first = d.postBytes("/v1/modules", hello);
    assertTrue(first.statusCode() == 201 || first.statusCode() == 200, first::body);
    assertEquals(helloSha, json(first).get("sha256").asString());
    var again = d.postBytes("/v1/modules", hello);
    assertEquals(200, again.statusCode());
    var head =
        d.http.send(
            d.request("/v1/modules/" + helloSha)
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.discarding());
    assertEquals(200, head.statusCode());
    assertArrayEquals(hello, d.getBytes("/v1/modules/" + helloSha).body());
    var bad = d.get("/v1/modules/ABC");
    assertEquals(400, bad.statusCode());
    assertEquals("sha256", json(bad).get("error").get("field").asString());
    assertEquals(404, d.get("/v1/modules/" + "0".repeat(64)).statusCode());
    var notWasm = d.postBytes("/v1/modules", "hello".getBytes(StandardCharsets.UTF_8));
    assertEquals(400, notWasm.statusCode());
    assertEquals("not-wasm", json(notWasm).get("error").get("code").asString());
    var tooBig = d.postBytes("/v1/modules", new byte[(1 << 20) + 1]);
    assertEquals(413, tooBig.statusCode());
  }

  @Test
  void aJobRunsInAWorkerAndHasOutputAndAVerifiableReceipt() throws Exception {
    d.postBytes("/v1/modules", hello);
    String id =
        d.submit(
            "{\"module\": \""
                + helloSha
                + "\", \"programName\": \"hello.wasm\", \"args\": [\"world\"], \"nonce\": \"n-1\"}");
    JsonNode j = d.await(id, 60);
    assertEquals("finished", j.get("state").asString(), j::toString);
    assertEquals("completed", j.get("outcome").get("kind").asString(), j::toString);
    assertEquals(0, j.get("outcome").get("exitCode").asInt());
    assertTrue(j.get("receipt").asBoolean());
    byte[] out = d.getBytes("/v1/jobs/" + id + "/stdout").body();
    assertEquals(HELLO_OUT, new String(out, StandardCharsets.UTF_8));
    assertEquals(0, d.getBytes("/v1/jobs/" + id + "/stderr").body().length);
    byte[] receipt = d.getBytes("/v1/jobs/" + id + "/receipt").body();
    String peer = json(d.get("/v1/node")).get("peerId").asString();
    var report =
        new ReceiptVerifier(ReceiptSchemes.discover())
            .verify(
                receipt,
                new ReceiptVerifier.Request(hello, out, new byte[0], List.of(peer), id, "n-1"));
    assertTrue(report.passed(), report::toString);
    // The record, output and receipt are in the job journal under the state directory: no file per
    // job.
    assertTrue(Files.isRegularFile(d.state.resolve("journal").resolve("00000001.journal")));
    assertFalse(Files.exists(d.state.resolve("jobs").resolve(id)));
    assertFalse(
        Files.exists(d.state.resolve("outputs").resolve(id + ".stdout")),
        "a small output is not spilled");
  }

  @Test
  void anInlineModuleWithStdinAndEnvRuns() throws Exception {
    String b64 = Base64.getEncoder().encodeToString(hello);
    String id =
        d.submit(
            "{\"moduleBase64\": \""
                + b64
                + "\", \"args\": [\"world\"], \"env\": {\"A\": \"1\"},"
                + " \"stdinBase64\": \"aGk=\", \"limits\": {\"timeoutMillis\": 20000}, \"engine\": \"chicory-compiler\"}");
    JsonNode j = d.await(id, 60);
    assertEquals("completed", j.get("outcome").get("kind").asString(), j::toString);
    assertEquals("chicory-compiler", j.get("engineUsed").get("id").asString());
    assertEquals(helloSha, j.get("moduleSha256").asString());
    assertEquals("[\"A\"]", j.get("envNames").toString());
    assertFalse(j.has("env"), "environment values are not shown");
  }

  @Test
  void anIdempotencyKeyReturnsTheSameJobOrConflicts() throws Exception {
    d.postBytes("/v1/modules", hello);
    String body = "{\"module\": \"" + helloSha + "\", \"idempotencyKey\": \"k-42\"}";
    var first = d.post("/v1/jobs", body);
    assertEquals(202, first.statusCode(), first::body);
    var again = d.post("/v1/jobs", body);
    assertEquals(200, again.statusCode(), again::body);
    assertEquals(json(first).get("id"), json(again).get("id"));
    var other =
        d.post(
            "/v1/jobs",
            "{\"module\": \"" + helloSha + "\", \"idempotencyKey\": \"k-42\", \"args\": [\"x\"]}");
    assertEquals(409, other.statusCode());
    assertEquals("idempotencyKey", json(other).get("error").get("field").asString());
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '`',
      value = {
        "unknown field|{\"module\": \"HELLO\", \"colour\": 1}|400|unknown-field|colour",
        "unknown nested field|{\"module\": \"HELLO\", \"limits\": {\"memory\": 1}}|400|unknown-field|limits.memory",
        "duplicate key|{\"module\": \"HELLO\", \"module\": \"HELLO\"}|400|duplicate-key|",
        "not json|{\"module\": |400|invalid-json|",
        "empty|` `|400|invalid-json|",
        "trailing|{\"module\": \"HELLO\"} {}|400|invalid-json|",
        "wrong type|{\"module\": \"HELLO\", \"args\": \"x\"}|400|invalid-value|args",
        "float limit|{\"module\": \"HELLO\", \"limits\": {\"timeoutMillis\": 1.5}}|400|invalid-value|limits.timeoutMillis",
        "over node limit|{\"module\": \"HELLO\", \"limits\": {\"timeoutMillis\": 3600000}}|400|invalid-value|limits.timeoutMillis",
        "negative limit|{\"module\": \"HELLO\", \"limits\": {\"maxOutputBytes\": -1}}|400|invalid-value|limits.maxOutputBytes",
        "not pages|{\"module\": \"HELLO\", \"limits\": {\"maxMemoryBytes\": 1000}}|400|invalid-value|limits.maxMemoryBytes",
        "zero timeout|{\"module\": \"HELLO\", \"limits\": {\"timeoutMillis\": 0}}|400|invalid-value|limits.timeoutMillis",
        "fuel on compiler|{\"module\": \"HELLO\", \"engine\": \"chicory-compiler\", \"limits\": {\"fuel\": 100}}|400|invalid-value|limits.fuel",
        "unknown engine|{\"module\": \"HELLO\", \"engine\": \"v8\"}|400|invalid-value|engine",
        "bad sha|{\"module\": \"../../etc/passwd\"}|400|invalid-value|module",
        "unknown module|{\"module\": \"0000000000000000000000000000000000000000000000000000000000000000\"}|404|not-found|module",
        "both modules|{\"module\": \"HELLO\", \"moduleBase64\": \"AGFzbQ==\"}|400|invalid-value|module",
        "no module|{}|400|invalid-value|module",
        "bad base64|{\"moduleBase64\": \"***\"}|400|invalid-value|moduleBase64",
        "not wasm|{\"moduleBase64\": \"aGVsbG8=\"}|400|not-wasm|moduleBase64",
        "bad nonce|{\"module\": \"HELLO\", \"nonce\": \"a b\"}|400|invalid-value|nonce",
        "bad env name|{\"module\": \"HELLO\", \"env\": {\"A=B\": \"1\"}}|400|invalid-value|env",
        "NUL arg|{\"module\": \"HELLO\", \"args\": [\"a\\u0000b\"]}|400|invalid-value|args[0]",
        "too deep|{\"module\": \"HELLO\", \"env\": [[[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]]}|400|too-complex|",
      })
  void badSubmissionsAreRefusedNamingTheField(
      String name, String body, int status, String code, String field) throws Exception {
    d.postBytes("/v1/modules", hello);
    var r = d.post("/v1/jobs", body.strip().replace("HELLO", helloSha));
    assertEquals(status, r.statusCode(), r::body);
    JsonNode e = json(r).get("error");
    assertEquals(code, e.get("code").asString(), r::body);
    if (field != null) {
      assertEquals(field, e.get("field").asString(), r::body);
    }
    assertFalse(e.get("message").asString().isBlank());
  }

  @Test
  void aBodyOverTheLimitIsRefusedFromItsLength() throws Exception {
    String big = "{\"moduleBase64\": \"" + "A".repeat(70_000) + "\"}";
    var r = d.post("/v1/jobs", big);
    assertEquals(413, r.statusCode(), r::body);
    assertEquals("payload-too-large", json(r).get("error").get("code").asString());
  }

  @Test
  void unknownJobsAndEndpointsAre404AndWrongMethods405() throws Exception {
    assertEquals(404, d.get("/v1/jobs/0190000000ab-0123456789abcdef").statusCode());
    assertEquals(404, d.get("/v1/jobs/..%2F..%2Ftoken").statusCode());
    assertEquals(404, d.get("/v1/nope").statusCode());
    var r =
        d.http.send(d.request("/v1/node").DELETE().build(), HttpResponse.BodyHandlers.ofString());
    assertEquals(405, r.statusCode());
    assertEquals("GET", r.headers().firstValue("Allow").orElse(""));
    assertEquals(400, d.get("/v1/jobs?limit=0").statusCode());
    assertEquals(400, d.get("/v1/jobs?colour=red").statusCode());
  }

  @Test
  void aHostileJobEndsAtItsDeadlineAndTheNextJobRunsNormally() throws Exception {
    String loop = Base64.getEncoder().encodeToString(Fixtures.bytes("loop-br-if"));
    String id =
        d.submit(
            "{\"moduleBase64\": \""
                + loop
                + "\", \"engine\": \"chicory-interpreter\", \"limits\": {\"timeoutMillis\": 1000}}");
    JsonNode j = d.await(id, 60);
    assertEquals("limit-exceeded", j.get("outcome").get("kind").asString(), j::toString);
    assertEquals("wall-time", j.get("outcome").get("detail").asString());
    assertTrue(j.get("receipt").asBoolean(), "a receipt is issued for a timeout too");
    String memory = Base64.getEncoder().encodeToString(Fixtures.bytes("memory-grow-bomb"));
    JsonNode m = d.await(d.submit("{\"moduleBase64\": \"" + memory + "\"}"), 60);
    assertEquals("finished", m.get("state").asString(), m::toString);
    d.postBytes("/v1/modules", hello);
    JsonNode ok =
        d.await(d.submit("{\"module\": \"" + helloSha + "\", \"args\": [\"world\"]}"), 60);
    assertEquals("completed", ok.get("outcome").get("kind").asString(), ok::toString);
    assertTrue(d.process.isAlive());
  }

  @Test
  void cancelStopsAQueuedOrRunningJob() throws Exception {
    String sleep = Base64.getEncoder().encodeToString(Fixtures.bytes("sleep-forever"));
    String id =
        d.submit("{\"moduleBase64\": \"" + sleep + "\", \"limits\": {\"timeoutMillis\": 30000}}");
    d.awaitState(id, "running", 30);
    var c = d.post("/v1/jobs/" + id + "/cancel", "");
    assertEquals(200, c.statusCode(), c::body);
    assertEquals("cancelled", json(c).get("state").asString());
    var again = d.post("/v1/jobs/" + id + "/cancel", "");
    assertEquals(409, again.statusCode());
    assertEquals("already-ended", json(again).get("error").get("code").asString());
  }

  @Test
  void jobsAreListedNewestFirstInPages() throws Exception {
    d.postBytes("/v1/modules", hello);
    String a = d.submit("{\"module\": \"" + helloSha + "\"}");
    String b = d.submit("{\"module\": \"" + helloSha + "\"}");
    JsonNode page = json(d.get("/v1/jobs?limit=1"));
    assertEquals(1, page.get("jobs").size());
    String newest = page.get("jobs").get(0).get("id").asString();
    assertTrue(newest.compareTo(b) >= 0);
    String next = page.get("next").asString();
    JsonNode page2 = json(d.get("/v1/jobs?limit=1&before=" + next));
    assertTrue(page2.get("jobs").get(0).get("id").asString().compareTo(newest) < 0);
    d.await(a, 60);
    d.await(b, 60);
  }

  @Test
  void waitReturnsTheCurrentStateWhenItTimesOut() throws Exception {
    String sleep = Base64.getEncoder().encodeToString(Fixtures.bytes("sleep-forever"));
    String id =
        d.submit("{\"moduleBase64\": \"" + sleep + "\", \"limits\": {\"timeoutMillis\": 30000}}");
    long t = System.nanoTime();
    JsonNode j = json(d.get("/v1/jobs/" + id + "/wait?timeout=500ms"));
    assertTrue((System.nanoTime() - t) / 1_000_000 >= 450);
    assertNotEquals("finished", j.get("state").asString());
    assertEquals(400, d.get("/v1/jobs/" + id + "/wait?timeout=1h").statusCode());
    assertEquals(404, d.get("/v1/jobs/" + id + "/receipt").statusCode());
    d.post("/v1/jobs/" + id + "/cancel", "");
  }

  @Test
  void metricsAreInThePrometheusFormat() throws Exception {
    d.postBytes("/v1/modules", hello);
    d.await(d.submit("{\"module\": \"" + helloSha + "\"}"), 60);
    var r = d.get("/metrics");
    assertEquals(200, r.statusCode());
    assertTrue(
        r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain; version=0.0.4"));
    assertTrue(
        r.body().matches("(?s).*plasm_jobs_total\\{outcome=\"completed\"} [1-9].*"), r.body());
    assertTrue(r.body().contains("plasm_queue_depth "), r.body());
    assertTrue(r.body().contains("plasm_job_duration_seconds_bucket{le=\"+Inf\"} "), r.body());
  }
}
