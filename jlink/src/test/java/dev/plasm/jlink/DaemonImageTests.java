package dev.plasm.jlink;

import static dev.plasm.jlink.PlasmProcess.plasm;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.jlink.PlasmProcess.Result;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code plasm daemon} from the image: the launcher gives its JVM the heap its config names. */
class DaemonImageTests {
  @TempDir Path home;

  /** A daemon of the image, started with a config of {@code toml} (state in {@code home}). */
  record Daemon(Process process, String address, String token) implements AutoCloseable {
    HttpResponse<String> get(String path) throws Exception {
      return HttpClient.newHttpClient()
          .send(
              HttpRequest.newBuilder(URI.create("http://" + address + path))
                  .header("Authorization", "Bearer " + token)
                  .timeout(Duration.ofSeconds(30))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
    }

    @Override
    public void close() throws Exception {
      process.toHandle().destroy();
      if (!process.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
        PlasmProcess.destroy(process);
      }
    }
  }

  private Daemon start(String toml) throws Exception {
    Path config = home.resolve("plasmd.toml");
    Files.writeString(
        config, "state-dir = \"" + home + "\"\n" + toml + "[api]\nlisten = \"127.0.0.1:0\"\n");
    Process daemon = plasm("daemon", "--config", config.toString()).startAsync(home);
    Path endpoint = home.resolve("daemon.json");
    long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    while (!Files.isRegularFile(endpoint) && System.nanoTime() < until && daemon.isAlive()) {
      Thread.sleep(100);
    }
    if (!Files.isRegularFile(endpoint)) {
      PlasmProcess.destroy(daemon);
      throw new AssertionError("the daemon did not start");
    }
    return new Daemon(
        daemon,
        field(Files.readString(endpoint), "address"),
        Files.readString(home.resolve("token")).strip());
  }

  /** The arguments of the daemon's first warm worker, waited for up to 60 s. */
  private static List<String> workerArguments(Process daemon) throws InterruptedException {
    long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
    List<String> worker = List.of();
    while (worker.isEmpty() && System.nanoTime() < until) {
      worker =
          daemon
              .children()
              .map(c -> c.info().arguments().map(List::of).orElse(List.of()))
              .filter(a -> a.stream().anyMatch(x -> x.endsWith("WorkerMain")))
              .findFirst()
              .orElse(List.of());
      Thread.sleep(100);
    }
    return worker;
  }

  @Test
  void theDaemonsHeapIsTheConfigsDaemonHeap() throws Exception {
    try (Daemon d = start("[daemon]\nheap = \"200MiB\"\n")) {
      HttpResponse<String> r = d.get("/v1/node");
      long heap = Long.parseLong(field(r.body(), "heapMaxBytes"));
      // The JVM rounds -Xmx200m to its own granule; within a few MiB.
      assertTrue(Math.abs(heap - (200L << 20)) < (8L << 20), "heap " + heap + ": " + r.body());
      assertEquals(
          Long.toString(d.process().pid()),
          field(r.body(), "pid"),
          "the launcher exec'd the daemon's JVM");
      // The daemon and its warm workers return what the C library keeps of freed native memory.
      assertTrue(
          d.process().info().arguments().map(List::of).orElse(List.of()).contains(TRIM),
          "the daemon's JVM trims its native heap: "
              + d.process().info().arguments().map(List::of));
      List<String> worker = workerArguments(d.process());
      assertTrue(worker.contains(TRIM), "a warm worker's JVM trims its native heap: " + worker);
      // Both give back the heap a load grew at their one collection when idle, not in four steps.
      assertTrue(
          d.process().info().arguments().map(List::of).orElse(List.of()).contains(NO_STEPS),
          "the daemon's heap shrinks at once: " + d.process().info().arguments().map(List::of));
      assertTrue(worker.contains(NO_STEPS), "a warm worker's heap shrinks at once: " + worker);
    }
  }

  /**
   * The image's daemon as it ships (its launcher's flags: the native-heap trim every 30 s, the
   * serial collector) left idle past a trim and the virtual-thread carriers' 30 s keep-alive, with
   * a client stalled in the middle of a request all that time: afterwards it answers at once and
   * runs a job on its warm worker.
   */
  @Test
  void anIdleDaemonFromTheImageAnswersAndRunsJobsAfterTrimsBesideAStalledClient() throws Exception {
    try (Daemon d = start("")) {
      Result first = plasm("submit", "--wait", ImageTests.HELLO, "--", "before").run(home);
      assertEquals(0, first.exitCode(), first.describe());
      String[] hostPort = d.address().split(":");
      try (java.net.Socket stalled =
          new java.net.Socket(hostPort[0], Integer.parseInt(hostPort[1]))) {
        stalled.getOutputStream().write("GET /healthz HTTP/1.1\r\nHost: x\r\n".getBytes());
        stalled.getOutputStream().flush();
        Thread.sleep(40_000);
        long t = System.nanoTime();
        HttpResponse<String> health = d.get("/healthz");
        long millis = (System.nanoTime() - t) / 1_000_000;
        assertEquals(200, health.statusCode(), health.body());
        assertTrue(millis < 2000, "/healthz after 40 s idle took " + millis + " ms");
        Result after = plasm("submit", "--wait", ImageTests.HELLO, "--", "after").run(home);
        assertEquals(0, after.exitCode(), after.describe());
        assertEquals("Hello from WebAssembly!\narg 1: after\n", after.stdout(), after.describe());
      }
    }
  }

  static final String TRIM = "-XX:TrimNativeHeapInterval=30000";
  static final String NO_STEPS = "-XX:-ShrinkHeapInSteps";

  /** A scalar field of a JSON document, by name (each appears once in these documents). */
  static String field(String json, String name) {
    var m =
        java.util.regex.Pattern.compile("\"" + name + "\"\\s*:\\s*\"?([^\",}\\s]+)").matcher(json);
    assertTrue(m.find(), name + " in " + json);
    return m.group(1);
  }

  @Test
  void aBadConfigStillStopsTheDaemonWithTheKeyNamed() throws Exception {
    Path config = home.resolve("bad.toml");
    Files.writeString(config, "[daemon]\nheap = \"1MiB\"\n");
    Result r = plasm("daemon", "--config", config.toString()).run(home);
    assertEquals(64, r.exitCode(), r.describe());
    assertTrue(r.stderr().contains("daemon.heap"), r.describe());
  }
}
