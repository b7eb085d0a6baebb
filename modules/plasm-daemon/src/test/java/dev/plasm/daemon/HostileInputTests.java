package dev.plasm.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.daemon.FaultyPeer.Lie;
import dev.plasm.daemon.PeerWire.Frame;
import dev.plasm.fixtures.Fixtures;
import dev.plasm.host.ReceiptSchemes;
import dev.plasm.host.ReceiptVerifier;
import dev.plasm.identity.NodeIdentity;
import dev.plasm.transport.spi.PeerStream;
import dev.plasm.transport.spi.Transport;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * Hostile input on both peer protocols against a real daemon (X), sent on raw libp2p streams from
 * the test's own transport: malformed frames, oversized and over-long lengths, control frames
 * that are not JSON objects, unknown types, a module whose bytes do not match its hash, streams
 * held open without data, a denied peer. Each is refused as docs/remote.md says, with one line in
 * X's log, and harms nothing: no module file is left behind, and X goes on serving both protocols
 * (a normal job, sent the same raw way, runs and its receipt verifies).
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class HostileInputTests {
  static final String JOB = FaultyPeer.JOB;
  static final String MODULE = FaultyPeer.MODULE;

  @TempDir static Path tmp;
  static DaemonProcess x;
  static String xId;

  /** The test's peer: serves modules to X (honest or not, per hash) and sends the raw streams. */
  static FaultyPeer t;

  static Transport denied;
  static byte[] hello;
  static String helloSha;
  static final AtomicInteger jobs = new AtomicInteger();

  @BeforeAll
  static void start() throws Exception {
    NodeIdentity deniedId = NodeIdentity.ephemeral();
    x =
        DaemonProcess.start(
            tmp.resolve("x"),
            RemoteNet.P2P + RemoteNet.EXECUTOR + "deny = [\"" + deniedId.peerId() + "\"]\n");
    xId = RemoteNet.peerId(x);
    t = FaultyPeer.start(RemoteNet.address(x), Lie.NONE);
    denied = FaultyPeer.transport(deniedId, RemoteNet.address(x));
    hello = RemoteNet.hello();
    helloSha = FaultyPeer.sha256(hello);
    t.serving.put(helloSha, hello);
  }

  @AfterAll
  static void stop() throws Exception {
    if (denied != null) {
      denied.close();
    }
    if (t != null) {
      t.close();
    }
    if (x != null) {
      x.close();
    }
  }

  /** What came back on one stream: the frames before it ended, and whether it was reset. */
  record Answer(List<Frame> frames, boolean reset, long millis) {
    JsonNode only() {
      assertEquals(1, frames.size(), this::toString);
      return frames.get(0).json();
    }

    @Override
    public String toString() {
      return (reset ? "reset after " : "closed after ")
          + millis
          + " ms: "
          + frames.stream()
              .map(f -> f.type() == PeerWire.CONTROL ? f.json().toString() : "type " + f.type())
              .toList();
    }
  }

  /** Sends {@code raw} on a new stream from {@code from} to X, closes our side, and reads everything until the end. */
  static Answer send(Transport from, String protocol, byte[] raw) throws Exception {
    long start = System.nanoTime();
    try (PeerStream s = from.openStream(xId, protocol)) {
      s.output().write(raw);
      s.output().flush();
      s.closeWrite();
      return readAll(s, start);
    }
  }

  static Answer readAll(PeerStream s, long start) {
    List<Frame> frames = new ArrayList<>();
    boolean reset = false;
    try {
      for (Frame f; (f = PeerWire.read(s.input(), 1 << 20)) != null; ) {
        frames.add(f);
      }
    } catch (IOException e) {
      reset = true;
    }
    return new Answer(frames, reset, (System.nanoTime() - start) / 1_000_000);
  }

  static byte[] frame(int type, byte[] payload) throws IOException {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    PeerWire.frame(b, type, payload);
    return b.toByteArray();
  }

  static byte[] control(String json) throws IOException {
    return frame(PeerWire.CONTROL, json.getBytes(StandardCharsets.UTF_8));
  }

  static byte[] concat(byte[]... parts) {
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    for (byte[] p : parts) {
      b.writeBytes(p);
    }
    return b.toByteArray();
  }

  /** The malformed streams both protocols must refuse {@code bad-request}. */
  static Stream<Arguments> malformed() throws IOException {
    byte[] random = new byte[4096];
    new Random(42).nextBytes(random);
    List<Arguments> cases = new ArrayList<>();
    for (String protocol : List.of(JOB, MODULE)) {
      cases.add(Arguments.of(protocol, "random bytes", random));
      cases.add(
          Arguments.of(
              protocol,
              "an HTTP request",
              "GET / HTTP/1.1\r\nHost: plasm\r\n\r\n".getBytes(StandardCharsets.US_ASCII)));
      cases.add(
          Arguments.of(
              protocol,
              "a frame length of 1 GiB",
              concat(PeerWire.varint(1L << 30), new byte[] {1})));
      cases.add(
          Arguments.of(
              protocol,
              "a frame length varint of 6 bytes",
              new byte[] {
                (byte) 0x82, (byte) 0x80, (byte) 0x80, (byte) 0x80, (byte) 0x80, 0x00, 1, '{', '}'
              }));
      cases.add(Arguments.of(protocol, "an empty frame", new byte[] {0}));
      cases.add(
          Arguments.of(
              protocol,
              "a stream that ends inside a frame",
              concat(PeerWire.varint(100), new byte[] {1, '{'})));
      cases.add(
          Arguments.of(protocol, "a control frame that is not JSON", control("run this please")));
      cases.add(
          Arguments.of(protocol, "a control frame that is a JSON array", control("[\"run\"]")));
      cases.add(
          Arguments.of(
              protocol,
              "a control frame without a type",
              control("{\"jobId\": \"a1\", \"sha256\": \"00\"}")));
      cases.add(
          Arguments.of(
              protocol,
              "an unknown frame type",
              frame(9, "{\"type\": \"run\"}".getBytes(StandardCharsets.UTF_8))));
      cases.add(
          Arguments.of(
              protocol, "an output frame first", frame(PeerWire.STDOUT, new byte[] {1, 2, 3})));
      cases.add(
          Arguments.of(
              protocol,
              "an unknown message type",
              control(
                  "{\"type\": \"explode\", \"jobId\": \"a1\", \"sha256\": \""
                      + "0".repeat(64)
                      + "\"}")));
    }
    cases.add(
        Arguments.of(
            JOB,
            "a job id with a path in it",
            control("{\"type\": \"attach\", \"jobId\": \"../../etc/passwd\"}")));
    cases.add(
        Arguments.of(
            JOB,
            "a manifest with the module inline",
            control(
                "{\"type\": \"run\", \"jobId\": \"a2\", \"manifest\": {\"moduleBase64\": \"AGFzbQEAAAA=\"}}")));
    cases.add(
        Arguments.of(
            JOB,
            "a manifest asking for another placement",
            control(
                "{\"type\": \"run\", \"jobId\": \"a3\", \"manifest\": {\"module\": \""
                    + "0".repeat(64)
                    + "\", \"placement\": \"remote\"}}")));
    cases.add(
        Arguments.of(
            JOB,
            "a manifest that is a string",
            control("{\"type\": \"run\", \"jobId\": \"a4\", \"manifest\": \"x\"}")));
    cases.add(
        Arguments.of(
            MODULE,
            "a hash that is not 64 hex digits",
            control("{\"type\": \"get\", \"sha256\": \"../modules\"}")));
    cases.add(
        Arguments.of(
            MODULE,
            "a request over 1 KiB",
            control(
                "{\"type\": \"get\", \"sha256\": \""
                    + "0".repeat(64)
                    + "\", \"pad\": \""
                    + "x".repeat(2000)
                    + "\"}")));
    return cases.stream();
  }

  @ParameterizedTest(name = "{0}: {1}")
  @MethodSource("malformed")
  void malformedInputIsRefusedBadRequestWithoutHarm(String protocol, String what, byte[] raw)
      throws Exception {
    int logAt = x.log().length();
    Answer a = send(t.transport, protocol, raw);
    JsonNode refusal = a.only();
    assertEquals("refused", refusal.get("type").asString(), a::toString);
    assertEquals("bad-request", refusal.get("code").asString(), a::toString);
    assertFalse(refusal.get("message").asString().isBlank(), a::toString);
    assertTrue(a.millis() < 10_000, "refused at once, without waiting for the rest: " + a);
    assertOneLogLine(logAt, "bad-request");
    assertStillServes();
  }

  @Test
  void aModuleWhoseBytesDoNotMatchItsHashIsDeletedAndTheJobRefused() throws Exception {
    byte[] other = Fixtures.bytes("exit-code");
    String claimed = FaultyPeer.sha256("a module nobody has".getBytes(StandardCharsets.UTF_8));
    t.serving.put(claimed, other); // the test's peer claims these bytes are that module
    Set<String> before = moduleFiles();
    int logAt = x.log().length();
    Answer a = send(t.transport, JOB, run("mismatch", claimed));
    JsonNode refusal = a.only();
    assertEquals("module-unavailable", refusal.get("code").asString(), a::toString);
    assertEquals(before, moduleFiles(), "nothing of the bad module is left in STATE/modules");
    assertFalse(Files.exists(x.state.resolve("modules").resolve(claimed + ".wasm")));
    assertOneLogLine(logAt, claimed);
    assertTrue(x.log().substring(logAt).contains("hash"), x.log().substring(logAt));
    assertStillServes();
  }

  @Test
  void aModuleAnnouncedOverTheSizeLimitOrLongerThanAnnouncedIsRefused() throws Exception {
    String huge = FaultyPeer.sha256("huge".getBytes(StandardCharsets.UTF_8));
    t.rawModuleAnswers.put(
        huge,
        concat(
            control(
                "{\"type\": \"module\", \"sha256\": \""
                    + huge
                    + "\", \"bytes\": "
                    + (1L << 40)
                    + "}"),
            frame(PeerWire.DATA, new byte[1000])));
    String longer = FaultyPeer.sha256("longer".getBytes(StandardCharsets.UTF_8));
    t.rawModuleAnswers.put(
        longer,
        concat(
            control("{\"type\": \"module\", \"sha256\": \"" + longer + "\", \"bytes\": 4}"),
            frame(PeerWire.DATA, new byte[] {0, 'a', 's', 'm', 1, 0, 0, 0}),
            control("{\"type\": \"end\"}")));
    Set<String> before = moduleFiles();
    for (String sha : List.of(huge, longer)) {
      int logAt = x.log().length();
      Answer a = send(t.transport, JOB, run("bad-module", sha));
      assertEquals("module-unavailable", a.only().get("code").asString(), a::toString);
      assertOneLogLine(logAt, sha);
    }
    assertEquals(before, moduleFiles());
    assertStillServes();
  }

  @Test
  void aDeniedPeerIsRefusedNotAllowed() throws Exception {
    int logAt = x.log().length();
    Answer a = send(denied, JOB, run("denied", helloSha));
    JsonNode refusal = a.only();
    assertEquals("not-allowed", refusal.get("code").asString(), a::toString);
    assertOneLogLine(logAt, "not-allowed");
    assertTrue(RemoteNet.jobsFor(x, denied.peerId(), "denied-" + (jobs.get())).isEmpty());
    assertStillServes();
  }

  @Test
  void streamsHeldOpenWithoutDataAreDroppedAfterTheDeadline() throws Exception {
    int logAt = x.log().length();
    // Both protocols at once, one stream silent from the start and one stalled inside a frame.
    List<CompletableFuture<Answer>> held = new ArrayList<>();
    for (String protocol : List.of(JOB, MODULE)) {
      for (byte[] first : List.of(new byte[0], new byte[] {50, 1, '{'})) {
        held.add(
            CompletableFuture.supplyAsync(
                () -> {
                  long start = System.nanoTime();
                  PeerStream s = t.transport.openStream(xId, protocol);
                  try (s) {
                    s.output().write(first);
                    s.output().flush();
                    return readAll(s, start);
                  } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                  }
                }));
      }
    }
    for (CompletableFuture<Answer> f : held) {
      Answer a = f.get(90, TimeUnit.SECONDS);
      // docs/remote.md: the request within 15 s of the stream opening, else the stream is dropped.
      assertTrue(a.millis() >= 14_500, "dropped before the deadline: " + a);
      assertTrue(a.millis() < 60_000, "dropped long after the deadline: " + a);
      assertTrue(
          a.frames().isEmpty() || a.only().get("type").asString().equals("refused"), a::toString);
    }
    assertLogLines(logAt, "dropped a peer's stream that sent no request in time", 4);
    assertStillServes();
  }

  /** A run request for module {@code sha} with a new job id. */
  static byte[] run(String name, String sha) throws IOException {
    ObjectNode req =
        DaemonProcess.JSON
            .createObjectNode()
            .put("type", "run")
            .put("jobId", name + "-" + jobs.incrementAndGet());
    req.putObject("manifest")
        .put("module", sha)
        .put("nonce", "n-" + jobs.get())
        .putArray("args")
        .add("raw");
    ByteArrayOutputStream b = new ByteArrayOutputStream();
    PeerWire.control(b, req);
    return b.toByteArray();
  }

  static Set<String> moduleFiles() throws IOException {
    try (Stream<Path> s = Files.list(x.state.resolve("modules"))) {
      return s.map(p -> p.getFileName().toString()).collect(Collectors.toSet());
    }
  }

  /** Exactly one new line in X's log holds {@code text}. */
  static void assertOneLogLine(int logAt, String text) throws Exception {
    assertLogLines(logAt, text, 1);
  }

  /** Exactly {@code n} new lines in X's log hold {@code text} (the log is read as X writes it: waits up to 10 s). */
  static void assertLogLines(int logAt, String text, int n) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (x.log().substring(logAt).lines().filter(l -> l.contains(text)).count() < n
        && System.nanoTime() < until) {
      Thread.sleep(20);
    }
    Thread.sleep(200); // one more line, if any, comes with the others
    String log = x.log().substring(logAt);
    assertEquals(n, log.lines().filter(l -> l.contains(text)).count(), log);
  }

  /**
   * X still serves both protocols: a normal job sent the same raw way runs, and its result comes
   * back whole with a receipt signed by X for this job and nonce; and X serves the module by hash.
   */
  static void assertStillServes() throws Exception {
    assertEquals(200, x.get("/healthz").statusCode());
    byte[] req = run("normal", helloSha);
    String nonce = "n-" + jobs.get();
    Answer a = send(t.transport, JOB, req);
    assertFalse(a.reset(), a::toString);
    List<Frame> f = a.frames();
    assertEquals("accepted", f.get(0).json().get("type").asString(), a::toString);
    String executorJobId = f.get(0).json().get("jobId").asString();
    JsonNode result =
        f.stream()
            .filter(
                x ->
                    x.type() == PeerWire.CONTROL
                        && x.json().get("type").asString().equals("result"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("no result: " + a))
            .json();
    assertEquals("completed", result.get("outcome").get("kind").asString(), a::toString);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    f.stream().filter(x -> x.type() == PeerWire.STDOUT).forEach(x -> out.writeBytes(x.payload()));
    assertEquals("Hello from WebAssembly!\narg 1: raw\n", out.toString(StandardCharsets.UTF_8));
    assertEquals(result.get("stdoutBytes").asLong(), out.size());
    assertEquals("end", f.get(f.size() - 1).json().get("type").asString(), a::toString);
    ReceiptVerifier.Report report =
        new ReceiptVerifier(ReceiptSchemes.discover())
            .verify(
                DaemonProcess.JSON.writeValueAsBytes(result.get("receipt")),
                new ReceiptVerifier.Request(
                    hello, out.toByteArray(), new byte[0], List.of(xId), executorJobId, nonce));
    assertTrue(report.passed(), report::toString);
    assertEquals(helloSha, FaultyPeer.sha256(t.fetch(xId, helloSha)));
  }
}
