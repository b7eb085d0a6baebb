package dev.plasm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** {@code plasm daemon} as a real process, driven by {@code plasm submit}, {@code jobs} and {@code job}. */
@Timeout(value = 180, unit = TimeUnit.SECONDS)
class DaemonCommandTests {
  @TempDir Path tmp;

  @Test
  void theClientCommandsDriveARealDaemon() throws Exception {
    Path state = tmp.resolve("state");
    DaemonUnderTest daemon = DaemonUnderTest.start(state);
    try {
      Map<String, String> env = daemon.env();
      Cli.Result run =
          Cli.run(
              new byte[0],
              env,
              "submit",
              "--wait",
              "--receipt",
              tmp.resolve("r.json").toString(),
              "--nonce",
              "n-7",
              Fixture.hello().toString(),
              "--",
              "world");
      assertEquals(0, run.exitCode(), run::toString);
      assertEquals("Hello from WebAssembly!\narg 1: world\n", run.out());
      Files.writeString(tmp.resolve("out.txt"), run.out());

      // --follow streams the output by offset: every byte exactly once.
      Cli.Result follow =
          Cli.run(
              new byte[0], env, "submit", "--follow", Fixture.hello().toString(), "--", "follow");
      assertEquals(0, follow.exitCode(), follow::toString);
      assertEquals("Hello from WebAssembly!\narg 1: follow\n", follow.out());
      Cli.Result quiet =
          Cli.run(new byte[0], env, "submit", Fixture.hello().toString(), "--", "logs");
      String quietId = quiet.out().strip();
      Cli.run(new byte[0], env, "job", "wait", quietId);
      Cli.Result logs = Cli.run(new byte[0], env, "job", "logs", "--follow", quietId);
      assertEquals(0, logs.exitCode(), logs::toString);
      assertEquals("Hello from WebAssembly!\narg 1: logs\n", logs.out());

      // The daemon's config file tells a client where the daemon and its token are.
      String address =
          Files.readString(state.resolve("daemon.json"))
              .replaceAll("(?s).*\"address\": \"([^\"]+)\".*", "$1");
      Path clientConfig = tmp.resolve("plasmd.toml");
      Files.writeString(
          clientConfig, "state-dir = \"" + state + "\"\n[api]\nlisten = \"" + address + "\"\n");
      Path elsewhere = Files.createDirectories(tmp.resolve("elsewhere"));
      Cli.Result viaConfig =
          Cli.run(
              new byte[0],
              Map.of("PLASM_HOME", elsewhere.toString()),
              "jobs",
              "--config",
              clientConfig.toString(),
              "--json");
      assertEquals(0, viaConfig.exitCode(), viaConfig::toString);
      assertTrue(viaConfig.out().contains(quietId), viaConfig::toString);

      Cli.Result id = Cli.run(new byte[0], env, "identity", "show", "--json");
      String peer = id.out().replaceAll("(?s).*\"peerId\" : \"([^\"]+)\".*", "$1");
      Cli.Result verify =
          Cli.run(
              new byte[0],
              env,
              "receipt",
              "verify",
              "--trust",
              peer,
              "--module",
              Fixture.hello().toString(),
              "--stdout",
              tmp.resolve("out.txt").toString(),
              "--nonce",
              "n-7",
              tmp.resolve("r.json").toString());
      assertEquals(0, verify.exitCode(), verify::toString);

      Cli.Result sleep =
          Cli.run(
              new byte[0], env, "submit", "--timeout", "30s", Fixture.path("sleep-forever", tmp));
      assertEquals(0, sleep.exitCode(), sleep::toString);
      String sleepId = sleep.out().strip();
      Cli.Result cancel = Cli.run(new byte[0], env, "job", "cancel", sleepId);
      assertEquals(0, cancel.exitCode(), cancel::toString);
      assertTrue(cancel.out().contains("state:    cancelled"), cancel::toString);

      // The states as the daemon sent them, read once and printed by their names; --state is one
      // of them, checked before anything is sent.
      Cli.Result cancelledState = Cli.run(new byte[0], env, "job", "show", "-q", sleepId);
      assertEquals("cancelled\n", cancelledState.out(), cancelledState::toString);
      Cli.Result finishedState = Cli.run(new byte[0], env, "job", "show", "-q", quietId);
      assertEquals("finished\n", finishedState.out(), finishedState::toString);
      Cli.Result waitCancelled = Cli.run(new byte[0], env, "job", "wait", "-q", sleepId);
      assertEquals(ExitCodes.CANCELLED, waitCancelled.exitCode(), waitCancelled::toString);
      Cli.Result onlyCancelled = Cli.run(new byte[0], env, "jobs", "-q", "--state", "cancelled");
      assertEquals(sleepId + "\n", onlyCancelled.out(), onlyCancelled::toString);
      Cli.Result onlyFinished = Cli.run(new byte[0], env, "jobs", "-q", "--state", "finished");
      assertTrue(onlyFinished.out().lines().toList().contains(quietId), onlyFinished::toString);
      assertFalse(onlyFinished.out().contains(sleepId), onlyFinished::toString);
      Cli.Result badState = Cli.run(new byte[0], env, "jobs", "--state", "done");
      assertEquals(ExitCodes.USAGE, badState.exitCode(), badState::toString);
      assertTrue(
          badState
              .err()
              .contains(
                  "'done' is not a job state; give one of queued, running, finished, cancelled, interrupted"),
          badState::toString);

      Cli.Result jobs = Cli.run(new byte[0], env, "jobs");
      assertEquals(0, jobs.exitCode(), jobs::toString);
      assertTrue(
          jobs.out().lines().skip(1).findFirst().orElse("").startsWith(sleepId), jobs::toString);

      Cli.Result show = Cli.run(new byte[0], env, "job", "show", "--json", sleepId);
      assertTrue(show.out().contains("\"state\" : \"cancelled\""), show::toString);
      Cli.Result missing =
          Cli.run(new byte[0], env, "job", "show", "0190000000ab-0123456789abcdef");
      assertEquals(ExitCodes.NO_INPUT, missing.exitCode(), missing::toString);

      Cli.Result trap =
          Cli.run(new byte[0], env, "submit", "--wait", Fixture.path("trap-unreachable", tmp));
      assertEquals(ExitCodes.TRAP, trap.exitCode(), trap::toString);

      Cli.Result badToken =
          Cli.run(
              new byte[0], Map.of("PLASM_HOME", state.toString(), "PLASM_TOKEN", "nope"), "jobs");
      assertEquals(DaemonClient.NO_PERMISSION, badToken.exitCode(), badToken::toString);
    } finally {
      int exit = daemon.stop();
      assertTrue(exit == 0 || exit == 143, "exit " + exit);
    }
    assertTrue(daemon.log().contains("\"msg\":\"stopped\""), daemon::log);
  }

  @Test
  void aWildcardListenAddressInTheConfigMeansThisMachineToAClient() {
    java.util.function.Function<String, String> via =
        listen ->
            DaemonClient.connectable(
                dev.plasm.daemon.DaemonConfig.parse(
                    Path.of("c.toml"), "[api]\nlisten = \"" + listen + "\"\n"));
    assertEquals("127.0.0.1:9000", via.apply("0.0.0.0:9000"));
    assertEquals("[::1]:9000", via.apply("[::]:9000"));
    assertEquals("127.0.0.2:81", via.apply("127.0.0.2:81"));
    assertEquals("[::1]:82", via.apply("[::1]:82"));
  }

  @Test
  void withoutADaemonTheClientSaysSo() {
    Cli.Result r =
        Cli.run(
            new byte[0], Map.of("PLASM_HOME", tmp.toString()), "jobs", "--daemon", "127.0.0.1:1");
    assertEquals(DaemonClient.UNAVAILABLE, r.exitCode(), r::toString);
    assertTrue(r.err().contains("no daemon at http://127.0.0.1:1"), r::toString);
  }

  @Test
  void aBadConfigurationIsAUsageError() throws Exception {
    Path cfg = tmp.resolve("plasmd.toml");
    Files.writeString(cfg, "[api]\nlisen = \"x\"\n");
    Cli.Result r = Cli.run("daemon", "--config", cfg.toString());
    assertEquals(ExitCodes.USAGE, r.exitCode(), r::toString);
    assertTrue(r.err().contains("api.lisen: unknown key"), r::toString);
  }

  @Test
  void anIdentityKeyOthersCanReadIsAUsageErrorSayingHowToFixIt() throws Exception {
    Path state = tmp.resolve("state");
    Files.createDirectories(state);
    Cli.run(
        new byte[0],
        Map.of("PLASM_HOME", state.toString()),
        "identity",
        "show"); // creates identity.key (0600)
    Path key = state.resolve("identity.key");
    Files.setPosixFilePermissions(
        key, java.nio.file.attribute.PosixFilePermissions.fromString("rw-r--r--"));
    Path cfg = tmp.resolve("plasmd.toml");
    Files.writeString(cfg, "state-dir = \"" + state + "\"\n[api]\nlisten = \"127.0.0.1:0\"\n");
    Cli.Result r = Cli.run("daemon", "--config", cfg.toString());
    assertEquals(ExitCodes.USAGE, r.exitCode(), r::toString);
    assertTrue(r.err().contains("chmod 600 " + key), r::toString);
    assertTrue(!r.err().contains("bug"), r::toString);
  }
}
