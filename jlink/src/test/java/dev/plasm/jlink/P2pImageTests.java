package dev.plasm.jlink;

import static dev.plasm.jlink.PlasmProcess.plasm;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.jlink.PlasmProcess.Result;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** The image's libp2p transport: two {@code bin/plasm daemon}s with [p2p] on find each other and share the DHT. */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class P2pImageTests {
  static final String P2P = "[p2p]\nenabled = true\nlisten = [\"/ip4/127.0.0.1/tcp/0\"]\n";

  @TempDir Path tmp;

  /** Starts {@code bin/plasm daemon} with PLASM_HOME {@code home}; waits for its daemon.json. */
  static Process daemon(Path home, String toml, String... extraArgs) throws Exception {
    Files.createDirectories(home);
    Path cfg = home.resolveSibling(home.getFileName() + ".toml");
    Files.writeString(cfg, toml);
    List<String> args =
        new ArrayList<>(List.of("daemon", "--config", cfg.toString(), "--listen", "127.0.0.1:0"));
    args.addAll(List.of(extraArgs));
    Process p = plasm(args.toArray(String[]::new)).startAsync(home);
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!Files.exists(home.resolve("daemon.json"))) {
      if (!p.isAlive() || System.nanoTime() > until) {
        PlasmProcess.destroy(p);
        throw new AssertionError(
            "the daemon did not start:\n" + Files.readString(home.resolve("async-stderr.txt")));
      }
      Thread.sleep(100);
    }
    return p;
  }

  static String field(String json, String name) {
    return json.replaceAll("(?s).*?\"" + name + "\" : \"([^\"]+)\".*", "$1");
  }

  @Test
  void twoImageDaemonsPeerAndShareAValue() throws Exception {
    List<Process> started = new ArrayList<>();
    Path homeA = tmp.resolve("a");
    Path homeB = tmp.resolve("b");
    try {
      // A listens on TCP and QUIC, B on QUIC only and joins A over QUIC: the image's Netty QUIC
      // library (lib/quic) loads, with no native-access warning from the JVM.
      started.add(daemon(homeA, P2P.replace("\"]", "\", \"/ip4/127.0.0.1/udp/0/quic-v1\"]")));
      Result peersA = plasm("peers", "--json").run(homeA);
      assertEquals(0, peersA.exitCode(), peersA.describe());
      String idA = field(peersA.stdout(), "peerId");
      String addrA =
          peersA
              .stdout()
              .replaceAll("(?s).*\"(/ip4/127\\.0\\.0\\.1/udp/\\d+/quic-v1/p2p/[^\"]+)\".*", "$1");
      assertTrue(addrA.endsWith("/p2p/" + idA), peersA.describe());
      assertTrue(
          Files.readString(homeA.resolve("async-stderr.txt")).contains("p2p node listening"));

      started.add(
          daemon(
              homeB, P2P.replace("tcp/0", "udp/0/quic-v1") + "bootstrap = [\"" + addrA + "\"]\n"));
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
      Result peersB;
      do {
        assertTrue(System.nanoTime() < until, "B never connected to A");
        Thread.sleep(200);
        peersB = plasm("peers").run(homeB);
      } while (!peersB.stdout().contains(idA));

      Result put = plasm("dht", "put", "/plasm/image/test", "from the image").run(homeA);
      assertEquals(0, put.exitCode(), put.describe());
      Result get = plasm("dht", "get", "/plasm/image/test").run(homeB);
      assertEquals(0, get.exitCode(), get.describe());
      assertEquals("from the image", get.stdout(), get.describe());
      for (Path home : List.of(homeA, homeB)) {
        String log = Files.readString(home.resolve("async-stderr.txt"));
        assertFalse(
            log.contains("WARNING: "), log); // the JVM's, e.g. "WARNING: A restricted method ..."
      }
    } finally {
      for (Process p : started) {
        p.destroy();
        if (!p.waitFor(20, TimeUnit.SECONDS)) {
          PlasmProcess.destroy(p);
        }
      }
    }
  }

  /** Transports are also found in plugin directories: a second libp2p there is loaded into its layer and refused as a duplicate. */
  @Test
  void aTransportInAPluginDirectoryIsLoadedAndADuplicateIdRefused() throws Exception {
    Path plugins = Files.createDirectories(tmp.resolve("plugins"));
    try (var jars = Files.list(PlasmProcess.MODULES)) {
      Path jar =
          jars.filter(j -> j.getFileName().toString().startsWith("plasm-transport-libp2p-"))
              .findFirst()
              .orElseThrow(
                  () ->
                      new AssertionError(
                          "no plasm-transport-libp2p jar in " + PlasmProcess.MODULES));
      Files.copy(jar, plugins.resolve(jar.getFileName()));
    }
    Path home = tmp.resolve("dup");
    Process p = daemon(home, P2P, "--plugin-dir", plugins.toString());
    try {
      Result peers = plasm("peers").run(home);
      assertEquals(0, peers.exitCode(), peers.describe());
      String log = Files.readString(home.resolve("async-stderr.txt"));
      assertTrue(
          log.contains(
              "transport id 'libp2p' from dev.plasm.transport.libp2p is already provided by dev.plasm.transport.libp2p (boot)"),
          log);
    } finally {
      p.destroy();
      if (!p.waitFor(20, TimeUnit.SECONDS)) {
        PlasmProcess.destroy(p);
      }
    }
  }
}
