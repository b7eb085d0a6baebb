package dev.plasm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The receipt of a job that ran on another node, checked with the real {@code plasm receipt
 * verify}: it is the executor's, so it passes with the executor's peer id trusted, and with the
 * submitting node's id trusted instead it is reported as signed by a signer not trusted (exit 10).
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class RemoteReceiptCommandTests {
  static final String P2P = "[p2p]\nenabled = true\nlisten = [\"/ip4/127.0.0.1/tcp/0\"]\n";

  @TempDir Path tmp;

  DaemonUnderTest daemon(String name, String toml) throws Exception {
    Path cfg = Files.writeString(tmp.resolve(name + ".toml"), toml);
    return DaemonUnderTest.start(tmp.resolve(name), "--config", cfg.toString());
  }

  static String field(Cli.Result r, String name) {
    return r.out().replaceAll("(?s).*?\"" + name + "\" : \"([^\"]+)\".*", "$1");
  }

  @Test
  void aRemoteJobsReceiptVerifiesTrustingTheExecutorAndNotTheRequester() throws Exception {
    try (DaemonUnderTest requester = daemon("a", P2P + "[remote]\nenabled = false\n")) {
      Map<String, String> a = requester.env();
      Cli.Result peers = Cli.run(new byte[0], a, "peers", "--json");
      String idA = field(peers, "peerId");
      String addrA =
          peers.out().replaceAll("(?s).*\"listenAddresses\" : \\[\\s*\"([^\"]+)\".*", "$1");
      try (DaemonUnderTest executor =
          daemon(
              "b",
              P2P
                  + "bootstrap = [\""
                  + addrA
                  + "\"]\n"
                  + "[remote]\nenabled = true\noffer-interval = \"1s\"\noffer-ttl = \"20s\"\n")) {
        String idB =
            field(Cli.run(new byte[0], executor.env(), "identity", "show", "--json"), "peerId");
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
        while (!Cli.run(new byte[0], a, "dht", "find-providers", "/plasm/executor")
            .out()
            .contains(idB)) {
          assertTrue(System.nanoTime() < until, "A never found B's executor record");
          Thread.sleep(250);
        }

        Path receipt = tmp.resolve("remote.receipt.json");
        Cli.Result run =
            Cli.run(
                new byte[0],
                a,
                "submit",
                "--placement",
                "remote",
                "--wait",
                "--receipt",
                receipt.toString(),
                "--nonce",
                "n-remote-1",
                Fixture.hello().toString(),
                "--",
                "elsewhere");
        assertEquals(0, run.exitCode(), run::toString);
        assertEquals("Hello from WebAssembly!\narg 1: elsewhere\n", run.out());
        Path out = Files.writeString(tmp.resolve("out.txt"), run.out());
        String id = field(Cli.run(new byte[0], a, "jobs", "--json"), "id");
        Cli.Result show = Cli.run(new byte[0], a, "job", "show", "--json", id);
        assertTrue(
            show.out().replaceAll("\\s", "").contains("\"executedBy\":[\"" + idB + "\"]"),
            show::toString);
        // As people read it: where it ran (whole id, for --trust), each attempt, and the RAN ON
        // column.
        Cli.Result human = Cli.run(new byte[0], a, "job", "show", id);
        assertTrue(human.out().matches("(?s).*ran on:\\s+" + idB + "\n.*"), human::toString);
        assertTrue(human.out().matches("(?s).*attempt 1:\\s+" + idB + ": ok, .*"), human::toString);
        assertTrue(human.out().matches("(?s).*placement:\\s+remote\n.*"), human::toString);
        Cli.Result list = Cli.run(new byte[0], a, "jobs");
        assertTrue(
            list.out().contains("RAN ON")
                && list.out()
                    .contains(idB.substring(0, 12) + "…" + idB.substring(idB.length() - 6)),
            list::toString);

        Cli.Result trusted =
            Cli.run(
                new byte[0],
                a,
                "receipt",
                "verify",
                "--trust",
                idB,
                "--module",
                Fixture.hello().toString(),
                "--stdout",
                out.toString(),
                "--nonce",
                "n-remote-1",
                receipt.toString());
        assertEquals(0, trusted.exitCode(), trusted::toString);

        Cli.Result requesters =
            Cli.run(
                new byte[0],
                a,
                "receipt",
                "verify",
                "--trust",
                idA,
                "--module",
                Fixture.hello().toString(),
                "--stdout",
                out.toString(),
                "--nonce",
                "n-remote-1",
                receipt.toString());
        assertEquals(
            10,
            requesters.exitCode(),
            requesters::toString); // docs/receipts.md §7: only trust is missing
        assertTrue((requesters.out() + requesters.err()).contains(idB), requesters::toString);
        assertTrue(
            (requesters.out() + requesters.err()).toLowerCase().contains("trust"),
            requesters::toString);
      }
    }
  }
}
