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

  @Test
  void theDaemonsHeapIsTheConfigsDaemonHeap() throws Exception {
    Path config = home.resolve("plasmd.toml");
    Files.writeString(
        config,
        "state-dir = \""
            + home
            + "\"\n[daemon]\nheap = \"200MiB\"\n[api]\nlisten = \"127.0.0.1:0\"\n");
    Process daemon = plasm("daemon", "--config", config.toString()).startAsync(home);
    try {
      Path endpoint = home.resolve("daemon.json");
      long until = System.nanoTime() + Duration.ofSeconds(60).toNanos();
      while (!Files.isRegularFile(endpoint) && System.nanoTime() < until && daemon.isAlive()) {
        Thread.sleep(100);
      }
      assertTrue(Files.isRegularFile(endpoint), "the daemon did not start");
      String address = field(Files.readString(endpoint), "address");
      String token = Files.readString(home.resolve("token")).strip();
      HttpResponse<String> r =
          HttpClient.newHttpClient()
              .send(
                  HttpRequest.newBuilder(URI.create("http://" + address + "/v1/node"))
                      .header("Authorization", "Bearer " + token)
                      .build(),
                  HttpResponse.BodyHandlers.ofString());
      long heap = Long.parseLong(field(r.body(), "heapMaxBytes"));
      // The JVM rounds -Xmx200m to its own granule; within a few MiB.
      assertTrue(Math.abs(heap - (200L << 20)) < (8L << 20), "heap " + heap + ": " + r.body());
      assertEquals(
          Long.toString(daemon.pid()),
          field(r.body(), "pid"),
          "the launcher exec'd the daemon's JVM");
      // The daemon and its warm workers return what the C library keeps of freed native memory.
      assertTrue(
          daemon.info().arguments().map(List::of).orElse(List.of()).contains(TRIM),
          "the daemon's JVM trims its native heap: " + daemon.info().arguments().map(List::of));
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
      assertTrue(worker.contains(TRIM), "a warm worker's JVM trims its native heap: " + worker);
    } finally {
      daemon.toHandle().destroy();
      if (!daemon.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
        PlasmProcess.destroy(daemon);
      }
    }
  }

  static final String TRIM = "-XX:TrimNativeHeapInterval=30000";

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
