package dev.plasm.daemon;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** A real daemon process on 127.0.0.1 with an ephemeral port, and an HTTP client for it. */
final class DaemonProcess implements AutoCloseable {
  static final JsonMapper JSON = JsonMapper.builder().build();
  private static final Pattern ADDRESS = Pattern.compile("plasm daemon listening address=(\\S+)");

  final Process process;
  final Path state;
  final String base;
  final String token;
  final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final StringBuffer log;
  private final CompletableFuture<Void> logDone;

  /**
   * A job's record as a stopped daemon left it on disk: its last entry in the job journal, read by
   * the format docs/http-api.md ("Durability") gives, not through the daemon's code; else its
   * {@code jobs/ID/job.json} (the layout before the journal); null when there is neither.
   */
  static JsonNode recordOnDisk(Path state, String id) throws java.io.IOException {
    JsonNode last = null;
    Path dir = state.resolve("journal");
    List<Path> segments = new ArrayList<>();
    if (Files.isDirectory(dir)) {
      try (var s = Files.list(dir)) {
        s.filter(p -> p.getFileName().toString().matches("\\d{8}\\.journal"))
            .sorted()
            .forEach(segments::add);
      }
    }
    for (Path seg : segments) {
      java.nio.ByteBuffer b = java.nio.ByteBuffer.wrap(Files.readAllBytes(seg));
      b.position(16); // PLASMJNL, version, reserved
      while (b.remaining() >= 8) {
        int length = b.getInt();
        b.getInt(); // crc32c of the body
        if (length > b.remaining()) {
          break; // an append a crash cut short
        }
        int bodyEnd = b.position() + length;
        byte[] meta = new byte[b.getInt()];
        b.get(meta);
        b.position(bodyEnd);
        int parts = meta[1];
        JsonNode r = JSON.readTree(java.util.Arrays.copyOfRange(meta, 3 + parts, meta.length));
        if (meta[0] == 1 && id.equals(r.get("id").asString())) {
          last = r;
        }
      }
    }
    Path old = state.resolve("jobs").resolve(id).resolve("job.json");
    return last != null
        ? last
        : Files.isRegularFile(old) ? JSON.readTree(Files.readAllBytes(old)) : null;
  }

  private DaemonProcess(
      Process process,
      Path state,
      String base,
      String token,
      StringBuffer log,
      CompletableFuture<Void> logDone) {
    this.logDone = logDone;
    this.process = process;
    this.state = state;
    this.base = base;
    this.token = token;
    this.log = log;
  }

  /** Starts a daemon with a config of {@code extraToml} (listen and state-dir are set here). */
  static DaemonProcess start(Path state, String extraToml) throws Exception {
    return start(state, extraToml, List.of());
  }

  /** As {@link #start(Path, String)}, with extra options for the daemon's JVM. */
  static DaemonProcess start(Path state, String extraToml, List<String> jvmOptions)
      throws Exception {
    Files.createDirectories(state);
    Path config = state.resolveSibling(state.getFileName() + ".toml");
    Files.writeString(config, "state-dir = \"" + state + "\"\n" + extraToml + "\n");
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String cp =
        System.getProperty("jdk.module.path", "")
            + File.pathSeparator
            + System.getProperty("java.class.path");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                java,
                "-Xmx256m",
                "-XX:+UseSerialGC",
                "-XX:TieredStopAtLevel=1",
                // A daemon listening on QUIC loads Netty's JNI library: copied under target/, not
                // /tmp,
                // and allowed native access as bin/plasm allows it in the image.
                "--enable-native-access=ALL-UNNAMED",
                "-Dio.netty.native.workdir=" + Path.of("target", "netty-native").toAbsolutePath()));
    cmd.addAll(jvmOptions);
    cmd.addAll(
        List.of(
            "-cp",
            cp,
            "dev.plasm.daemon.internal.DaemonMain",
            "--config",
            config.toString(),
            "--listen",
            "127.0.0.1:0"));
    ProcessBuilder pb = new ProcessBuilder(cmd);
    pb.redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    Process p = pb.start();
    StringBuffer log = new StringBuffer();
    CompletableFuture<String> address = new CompletableFuture<>();
    CompletableFuture<Void> logDone = new CompletableFuture<>();
    Thread.ofVirtual()
        .start(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  log.append(line).append('\n');
                  Matcher m = ADDRESS.matcher(line);
                  if (m.find()) {
                    address.complete(m.group(1));
                  }
                }
              } catch (java.io.IOException e) {
                // The process ended.
              }
              address.completeExceptionally(
                  new AssertionError("the daemon ended without listening:\n" + log));
              logDone.complete(null);
            });
    String addr;
    try {
      addr = address.get(30, TimeUnit.SECONDS);
    } catch (Exception e) {
      p.destroyForcibly();
      throw new AssertionError("the daemon did not start within 30 s:\n" + log, e);
    }
    String token = Files.readString(state.resolve("token")).strip();
    return new DaemonProcess(p, state, "http://" + addr, token, log, logDone);
  }

  String log() {
    return log.toString();
  }

  /** Waits (at most 10 s) until the log holds {@code text}: the log is read from the process's stderr as it comes. */
  boolean logContains(String text) throws InterruptedException {
    long until = System.nanoTime() + 10_000_000_000L;
    while (!log.toString().contains(text)) {
      if (System.nanoTime() > until) {
        return false;
      }
      Thread.sleep(20);
    }
    return true;
  }

  HttpRequest.Builder request(String path) {
    return HttpRequest.newBuilder(URI.create(base + path))
        .timeout(Duration.ofSeconds(60))
        .header("Authorization", "Bearer " + token);
  }

  HttpResponse<String> get(String path) throws Exception {
    return http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<byte[]> getBytes(String path) throws Exception {
    return http.send(request(path).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  HttpResponse<String> post(String path, String json) throws Exception {
    return http.send(
        request(path)
            .header("Content-Type", "application/json")
            .POST(HttpRequest.BodyPublishers.ofString(json))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  HttpResponse<String> postBytes(String path, byte[] body) throws Exception {
    return http.send(
        request(path)
            .header("Content-Type", "application/wasm")
            .POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  static JsonNode json(HttpResponse<String> r) {
    return JSON.readTree(r.body());
  }

  /** Submits and returns the job id (asserting 202). */
  String submit(String json) throws Exception {
    HttpResponse<String> r = post("/v1/jobs", json);
    if (r.statusCode() != 202) {
      throw new AssertionError("submit: " + r.statusCode() + " " + r.body());
    }
    return json(r).get("id").asString();
  }

  /** Long-polls until the job ends (at most {@code seconds}). */
  JsonNode await(String id, int seconds) throws Exception {
    long until = System.nanoTime() + seconds * 1_000_000_000L;
    while (true) {
      JsonNode j =
          json(get("/v1/jobs/" + id + "/wait?timeout=2s")); // within any test config's api.max-wait
      String s = j.get("state").asString();
      if (!s.equals("queued") && !s.equals("running")) {
        return j;
      }
      if (System.nanoTime() > until) {
        throw new AssertionError(
            "job " + id + " still " + s + " after " + seconds + " s\n" + log());
      }
    }
  }

  /** Polls until the job is in {@code state}. */
  void awaitState(String id, String state, int seconds) throws Exception {
    long until = System.nanoTime() + seconds * 1_000_000_000L;
    while (!json(get("/v1/jobs/" + id)).get("state").asString().equals(state)) {
      if (System.nanoTime() > until) {
        throw new AssertionError("job " + id + " never became " + state + "\n" + log());
      }
      Thread.sleep(50);
    }
  }

  /** SIGTERM, as a service manager stops it; returns the exit code. */
  int terminate() throws Exception {
    // Through the handle: Process.destroy() would also close our end of its stderr.
    process.toHandle().destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      throw new AssertionError("the daemon did not stop within 20 s of SIGTERM\n" + log());
    }
    logDone.get(10, TimeUnit.SECONDS);
    return process.exitValue();
  }

  /** kill -9. */
  void kill() throws Exception {
    process.destroyForcibly();
    process.waitFor(20, TimeUnit.SECONDS);
  }

  @Override
  public void close() throws Exception {
    if (process.isAlive()) {
      process.descendants().forEach(ProcessHandle::destroyForcibly);
      process.destroyForcibly();
      process.waitFor(20, TimeUnit.SECONDS);
    }
  }
}
