package dev.plasm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code plasm peers} and {@code plasm dht ...} as a user runs them, against two real daemons with p2p on. */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class P2pCommandsTests {
  @TempDir static Path tmp;
  static final List<DaemonUnderTest> daemons = new ArrayList<>();
  static Map<String, String> a;
  static Map<String, String> b;
  static String idA;
  static String idB;

  /** Starts {@code plasm daemon} in its own JVM with {@code toml}; returns the env that reaches it. */
  static Map<String, String> daemon(String name, String toml, String... extraArgs)
      throws Exception {
    Path cfg = tmp.resolve(name + ".toml");
    Files.writeString(cfg, toml);
    List<String> args = new ArrayList<>(List.of("--config", cfg.toString()));
    args.addAll(List.of(extraArgs));
    DaemonUnderTest d = DaemonUnderTest.start(tmp.resolve(name), args.toArray(String[]::new));
    daemons.add(d);
    return d.env();
  }

  static String json(Cli.Result r, String field) {
    return r.out().replaceAll("(?s).*?\"" + field + "\" : \"([^\"]+)\".*", "$1");
  }

  @BeforeAll
  static void start() throws Exception {
    String p2p = "[p2p]\nenabled = true\nlisten = [\"/ip4/127.0.0.1/tcp/0\"]\n";
    a = daemon("a", p2p);
    Cli.Result peers = Cli.run(new byte[0], a, "peers", "--json");
    assertEquals(0, peers.exitCode(), peers::toString);
    idA = json(peers, "peerId");
    String addrA =
        peers.out().replaceAll("(?s).*\"listenAddresses\" : \\[\\s*\"([^\"]+)\".*", "$1");
    assertTrue(addrA.endsWith("/p2p/" + idA), addrA);
    // B: p2p off in its file, switched on with --p2p.
    b =
        daemon(
            "b",
            "[p2p]\nenabled = false\nlisten = [\"/ip4/127.0.0.1/tcp/0\"]\nbootstrap = [\""
                + addrA
                + "\"]\n",
            "--p2p");
    idB = json(Cli.run(new byte[0], b, "identity", "show", "--json"), "peerId");
    // B's bootstrap runs in the background: wait until A lists B.
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!Cli.run(new byte[0], a, "peers").out().contains(idB)) {
      assertTrue(System.nanoTime() < until, "A never listed B");
      Thread.sleep(100);
    }
  }

  @AfterAll
  static void stop() throws Exception {
    for (DaemonUnderTest d : daemons) {
      d.close();
    }
  }

  @Test
  void peersShowsTheOtherDaemonOnEachSide() {
    Cli.Result onA = Cli.run(new byte[0], a, "peers");
    assertEquals(0, onA.exitCode(), onA::toString);
    assertTrue(onA.out().startsWith("peer id:   " + idA + "\n"), onA::toString);
    assertTrue(onA.out().contains("listening: /ip4/127.0.0.1/tcp/"), onA::toString);
    assertTrue(onA.out().matches("(?s).*\\nreachable: (yes|no|not known) \\(.*"), onA::toString);
    assertTrue(
        onA.out()
            .lines()
            .anyMatch(l -> l.startsWith(idB) && l.contains("inbound") && l.contains("plasm/")),
        onA::toString);
    Cli.Result onB = Cli.run(new byte[0], b, "peers", "--json");
    assertEquals(0, onB.exitCode(), onB::toString);
    assertTrue(onB.out().contains("\"peerId\" : \"" + idA + "\""), onB::toString);
    assertTrue(onB.out().contains("\"direction\" : \"outbound\""), onB::toString);
  }

  @Test
  void aValuePutOnAIsReadOnBAndStdinWorks() {
    Cli.Result put = Cli.run(new byte[0], a, "dht", "put", "/plasm/cli/greeting", "hello from A");
    assertEquals(0, put.exitCode(), put::toString);
    assertTrue(put.out().startsWith("stored /plasm/cli/greeting (12 bytes)"), put::toString);
    Cli.Result get = Cli.run(new byte[0], b, "dht", "get", "/plasm/cli/greeting");
    assertEquals(0, get.exitCode(), get::toString);
    assertEquals("hello from A", get.out());

    byte[] binary = {0, (byte) 0xff, 1, (byte) 0xfe, '\n'};
    Cli.Result fromStdin = Cli.run(binary, b, "dht", "put", "/plasm/cli/raw bytes", "-");
    assertEquals(0, fromStdin.exitCode(), fromStdin::toString);
    Cli.Result raw = Cli.run(new byte[0], a, "dht", "get", "/plasm/cli/raw bytes");
    assertEquals(0, raw.exitCode(), raw::toString);
    assertTrue(java.util.Arrays.equals(binary, raw.outBytes()), raw::toString);
    Cli.Result asJson = Cli.run(new byte[0], a, "dht", "get", "--json", "/plasm/cli/raw bytes");
    assertTrue(asJson.out().contains("\"valueBase64\" : \"AP8B/go=\""), asJson::toString);
  }

  @Test
  void aProviderOnBIsFoundFromAAndFindPeerGivesAddresses() {
    Cli.Result provide = Cli.run(new byte[0], b, "dht", "provide", "/plasm/module/cli-test");
    assertEquals(0, provide.exitCode(), provide::toString);
    assertTrue(provide.out().startsWith("announced /plasm/module/cli-test to "), provide::toString);
    Cli.Result found =
        Cli.run(new byte[0], a, "dht", "find-providers", "/plasm/module/cli-test", "--max", "5");
    assertEquals(0, found.exitCode(), found::toString);
    // A table: the header, then the peer id and its addresses.
    assertTrue(found.out().startsWith("PEER "), found::toString);
    assertTrue(
        found.out().lines().anyMatch(l -> l.startsWith(idB + "  /ip4/127.0.0.1/tcp/")),
        found::toString);
    Cli.Result ids =
        Cli.run(new byte[0], a, "dht", "find-providers", "-q", "/plasm/module/cli-test");
    assertTrue(ids.out().lines().anyMatch(idB::equals), ids::toString);
    Cli.Result none = Cli.run(new byte[0], a, "dht", "find-providers", "/plasm/module/nobody");
    assertEquals(0, none.exitCode(), none::toString);
    assertEquals("no providers of /plasm/module/nobody found\n", none.out());

    Cli.Result peer = Cli.run(new byte[0], a, "dht", "find-peer", idB);
    assertEquals(0, peer.exitCode(), peer::toString);
    assertTrue(peer.out().startsWith("/ip4/127.0.0.1/tcp/"), peer::toString);
  }

  @Test
  void badInputAndMissingThingsHaveTheirExitCodes() {
    Cli.Result badKey = Cli.run(new byte[0], a, "dht", "get", "/ipns/x");
    assertEquals(ExitCodes.USAGE, badKey.exitCode(), badKey::toString);
    assertTrue(
        badKey.err().startsWith("plasm: dht get: key '/ipns/x' must be /plasm/<name>"),
        badKey::toString);
    Cli.Result badPeer = Cli.run(new byte[0], a, "dht", "find-peer", "not-a-peer");
    assertEquals(ExitCodes.USAGE, badPeer.exitCode(), badPeer::toString);
    assertTrue(badPeer.err().contains("is not a peer id"), badPeer::toString);
    Cli.Result missing = Cli.run(new byte[0], a, "dht", "get", "/plasm/cli/never-put");
    assertEquals(ExitCodes.NO_INPUT, missing.exitCode(), missing::toString);
    Cli.Result noFile =
        Cli.run(new byte[0], a, "dht", "put", "/plasm/x", "--file", tmp.resolve("nope").toString());
    assertEquals(ExitCodes.NO_INPUT, noFile.exitCode(), noFile::toString);
    Cli.Result both = Cli.run(new byte[0], a, "dht", "put", "/plasm/x", "v", "--file", "f");
    assertEquals(ExitCodes.USAGE, both.exitCode(), both::toString);
    assertTrue(both.err().contains("exactly one"), both::toString);
    Cli.Result neither = Cli.run(new byte[0], a, "dht", "put", "/plasm/x");
    assertEquals(ExitCodes.USAGE, neither.exitCode(), neither::toString);
    Cli.Result noDaemon =
        Cli.run(
            new byte[0], Map.of("PLASM_HOME", tmp.toString()), "peers", "--daemon", "127.0.0.1:1");
    assertEquals(DaemonClient.UNAVAILABLE, noDaemon.exitCode(), noDaemon::toString);
  }

  @Test
  void withP2pOffTheCommandsSayHowToEnableIt() throws Exception {
    Map<String, String> off = daemon("off", "");
    for (String[] args :
        List.of(
            new String[] {"peers"},
            new String[] {"dht", "get", "/plasm/x"},
            new String[] {"dht", "find-peer", idA})) {
      Cli.Result r = Cli.run(new byte[0], off, args);
      assertEquals(DaemonClient.UNAVAILABLE, r.exitCode(), r::toString);
      assertTrue(r.err().contains("set 'enabled = true' under [p2p]"), r::toString);
    }
  }

  @Test
  void helpListsTheExitCodes() {
    for (String[] args :
        List.of(new String[] {"peers", "--help"}, new String[] {"dht", "find-peer", "--help"})) {
      Cli.Result r = Cli.run(args);
      assertEquals(0, r.exitCode(), r::toString);
      assertTrue(
          r.out().contains("Exit codes:")
              && r.out().contains("69")
              && r.out().contains("--daemon=HOST:PORT"),
          r::toString);
    }
    Cli.Result dht = Cli.run("dht", "--help");
    for (String sub : List.of("get", "put", "provide", "find-providers", "find-peer")) {
      assertTrue(dht.out().contains("  " + sub + " "), dht::toString);
    }
  }
}
