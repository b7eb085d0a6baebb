package dev.plasm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code plasm run --manifest}: the documented job form (docs/manifest.md) on the command line. */
class ManifestCommandTests {
  @TempDir Path tmp;

  Path manifest(String json) throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("job"));
    Fixture.path("probe", dir);
    Path m = dir.resolve("job.json");
    Files.writeString(m, json);
    return m;
  }

  @Test
  void aManifestRunsWithItsPathsRelativeToItself() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("job"));
    Files.writeString(dir.resolve("in.txt"), "from the manifest's stdin");
    Path m =
        manifest(
            """
        {"modulePath": "probe.wasm", "args": ["cat"], "stdinPath": "in.txt", "limits": {"timeoutMillis": 20000}}
        """);
    // Run from somewhere else: the paths are the manifest's, not the working directory's.
    Cli.Result r = Cli.run("run", "--json", "--manifest", m.toString());
    assertEquals(0, r.exitCode(), r::toString);
    assertTrue(r.out().contains("from the manifest's stdin"), r::toString);
    assertTrue(r.out().contains("\"timeoutMillis\" : 20000"), r::toString);
  }

  @Test
  void theCommandLineOverridesTheManifest() throws Exception {
    Path m =
        manifest(
            """
        {"modulePath": "probe.wasm", "args": ["args", "from-manifest"], "env": {"A": "1"}, "limits": {"timeoutMillis": 20000}}
        """);
    Cli.Result r =
        Cli.run(
            new byte[0],
            Map.of(),
            "run",
            "--json",
            "--timeout",
            "7s",
            "--env",
            "B=2",
            "--manifest",
            m.toString(),
            "--",
            "env",
            "A",
            "B");
    assertEquals(0, r.exitCode(), r::toString);
    assertTrue(r.out().contains("A=1\\nB=2"), r::toString);
    assertTrue(r.out().contains("\"timeoutMillis\" : 7000"), r::toString);
  }

  @Test
  void aBadManifestIsAUsageErrorNamingTheFileAndTheField() throws Exception {
    Path m =
        manifest("{\"modulePath\": \"probe.wasm\", \"limits\": {\"timeoutMillis\": \"2000\"}}");
    Cli.Result r = Cli.run("run", "--manifest", m.toString());
    assertEquals(ExitCodes.USAGE, r.exitCode(), r::toString);
    assertTrue(
        r.err()
            .contains(
                "--manifest " + m + ": limits.timeoutMillis must be a whole number, not a string"),
        r::toString);

    Path byHash = manifest("{\"module\": \"" + "a".repeat(64) + "\"}");
    Cli.Result h = Cli.run("run", "--manifest", byHash.toString());
    assertEquals(ExitCodes.USAGE, h.exitCode(), h::toString);
    assertTrue(h.err().contains("plasm submit"), h::toString);

    Path remote = manifest("{\"modulePath\": \"probe.wasm\", \"placement\": \"remote\"}");
    Cli.Result p = Cli.run("run", "--manifest", remote.toString());
    assertEquals(ExitCodes.USAGE, p.exitCode(), p::toString);
    assertTrue(p.err().contains("placement remote"), p::toString);

    // In --json the field is the one inside the file, as the daemon names it, not --manifest.
    Path tooLong =
        manifest("{\"modulePath\": \"probe.wasm\", \"limits\": {\"timeoutMillis\": 90000000}}");
    Cli.Result j = Cli.run("run", "--json", "--manifest", tooLong.toString());
    assertEquals(ExitCodes.USAGE, j.exitCode(), j::toString);
    assertTrue(j.out().contains("\"field\" : \"limits.timeoutMillis\""), j::toString);
    // What only a daemon can do is refused, each by its own field.
    for (String[] c :
        new String[][] {
          {"\"redundancy\": 2", "redundancy"},
          {"\"verify\": \"reexecute\"", "verify"},
          {"\"idempotencyKey\": \"k1\"", "idempotencyKey"}
        }) {
      Path nodeOnly = manifest("{\"modulePath\": \"probe.wasm\", " + c[0] + "}");
      Cli.Result n = Cli.run("run", "--json", "--manifest", nodeOnly.toString());
      assertEquals(ExitCodes.USAGE, n.exitCode(), n::toString);
      assertTrue(
          n.out().contains("\"field\" : \"" + c[1] + "\"") && n.out().contains("plasm submit"),
          n::toString);
    }
    // A limit given as a flag is named by its flag, even with a manifest.
    Cli.Result flag =
        Cli.run(
            "run",
            "--json",
            "--max-memory",
            "8GiB",
            "--manifest",
            manifest("{\"modulePath\": \"probe.wasm\"}").toString());
    assertEquals(ExitCodes.USAGE, flag.exitCode(), flag::toString);
    assertTrue(flag.out().contains("\"field\" : \"--max-memory\""), flag::toString);

    Cli.Result missing = Cli.run("run", "--manifest", tmp.resolve("nope.json").toString());
    assertEquals(ExitCodes.NO_INPUT, missing.exitCode(), missing::toString);
  }

  @Test
  void moreThanOneCpuIsRefusedNotIgnored() {
    Cli.Result r = Cli.run("run", "--cpus", "2", Fixture.hello().toString());
    assertEquals(ExitCodes.USAGE, r.exitCode(), r::toString);
    assertTrue(r.err().contains("--cpus: 2 CPUs cannot be given"), r::toString);
    assertEquals("", r.out());
    Cli.Result one = Cli.run("run", "--cpus", "1", Fixture.hello().toString());
    assertEquals(0, one.exitCode(), one::toString);
    assertTrue(new String(one.outBytes(), StandardCharsets.UTF_8).contains("Hello"), one::toString);
  }
}
