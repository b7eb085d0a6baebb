package dev.plasm.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.api.ConfigurationException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class DaemonConfigTests {
  @TempDir Path tmp;

  static DaemonConfig parse(String toml) {
    return DaemonConfig.parse(Path.of("test.toml"), toml);
  }

  @Test
  void anEmptyFileGivesTheDefaults() {
    DaemonConfig c = parse("");
    assertEquals("127.0.0.1", c.api().listenHost());
    assertEquals(8080, c.api().listenPort());
    assertEquals(DaemonConfig.DEFAULTS.limits(), c.limits());
    assertEquals(2, c.jobs().concurrency());
    // A worker is warm after ~20,000 small jobs (docs/performance.md, "A worker's life"): replacing
    // it
    // every 10,000 kept a busy node cold. docs/config.md states this default.
    assertEquals(100_000, c.workers().maxJobs());
    assertNull(c.stateDir());
  }

  @Test
  void everyKeyIsRead() {
    DaemonConfig c =
        parse(
            """
        state-dir = "/srv/plasm"
        [api]
        listen = "[::1]:9000"
        max-json-body = "2MiB"
        request-timeout = "10s"
        max-wait = "2m"
        [log]
        format = "json"
        [jobs]
        concurrency = 3
        queue-capacity = 7
        retention = "7d"
        max-retained = 500
        [limits]
        memory = "64MiB"
        table-elements = 5000
        timeout = "5s"
        fuel = 1000000
        output = "1MiB"
        module-size = 1048576
        [workers]
        kill-grace = "3s"
        java-options = ["-Xss4m"]
        warm = false
        max-jobs = 5
        max-rss = "1GiB"
        module-cache = 0
        shutdown-grace = "2s"
        [engines]
        plugin-dirs = ["/opt/plasm/plugins"]
        """);
    assertEquals(Path.of("/srv/plasm"), c.stateDir());
    assertEquals("::1", c.api().listenHost());
    assertEquals(9000, c.api().listenPort());
    assertEquals(Duration.ofDays(7), c.jobs().retention());
    assertEquals(500, c.jobs().maxRetained());
    assertEquals(2L << 20, c.api().maxJsonBody());
    assertEquals(Duration.ofSeconds(10), c.api().requestTimeout());
    assertEquals(Duration.ofMinutes(2), c.api().maxWait());
    assertEquals("json", c.logFormat());
    assertEquals(3, c.jobs().concurrency());
    assertEquals(7, c.jobs().queueCapacity());
    assertEquals(64L << 20, c.limits().maxMemoryBytes());
    assertEquals(5000, c.limits().maxTableElements());
    assertEquals(Duration.ofSeconds(5), c.limits().timeout());
    assertEquals(1_000_000, c.limits().fuel().getAsLong());
    assertEquals(1L << 20, c.limits().maxOutputBytes());
    assertEquals(1L << 20, c.limits().maxModuleBytes());
    assertEquals(Duration.ofSeconds(3), c.workers().killGrace());
    assertEquals(List.of("-Xss4m"), c.workers().javaOptions());
    assertEquals(List.of(Path.of("/opt/plasm/plugins")), c.pluginDirs());
    assertEquals(
        new DaemonConfig.Workers(
            Duration.ofSeconds(3), List.of("-Xss4m"), false, 5, 1L << 30, 0, Duration.ofSeconds(2)),
        c.workers());
    assertEquals(1L << 30, c.effectiveMaxRss());
  }

  @Test
  void maxRssAutoFollowsTheNodesMemoryLimit() {
    DaemonConfig c = parse("[limits]\nmemory = \"256MiB\"\n[workers]\nmax-rss = \"auto\"\n");
    // heap (4/3 of 256 MiB + 192 MiB = 533 MiB) + the guest's 256 MiB + 256 MiB
    assertEquals((533L + 256 + 256) << 20, c.effectiveMaxRss());
    assertTrue(parse("").workers().warm());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "listen = 1|api.lisen = \"x\"|api.lisen",
        "x|colour = \"blue\"|colour",
        "x|[jobs]\\nconcurency = 2|jobs.concurency",
        "x|[api]\\nlisten = \"localhost\"|api.listen",
        "x|[api]\\nlisten = \"127.0.0.1:99999\"|api.listen",
        "x|[api]\\nlisten = 8080|api.listen",
        "x|[jobs]\\nconcurrency = 0|jobs.concurrency",
        "x|[jobs]\\nconcurrency = \"2\"|jobs.concurrency",
        "x|[jobs]\\nqueue-capacity = 1.5|jobs.queue-capacity",
        "x|[jobs]\\nretention = \"0s\"|jobs.retention",
        "x|[jobs]\\nretention = 3|jobs.retention",
        "x|[jobs]\\nmax-retained = 0|jobs.max-retained",
        "x|[limits]\\nmemory = \"12 parsecs\"|limits.memory",
        "x|[limits]\\nmemory = \"100000\"|limits.memory",
        "x|[limits]\\ntimeout = \"2d\"|limits.timeout",
        "x|[limits]\\ntimeout = \"48h\"|limits.timeout",
        "x|[limits]\\nfuel = -1|limits.fuel",
        "x|[log]\\nformat = \"xml\"|log.format",
        "x|[workers]\\njava-options = \"-Xmx1g\"|workers.java-options",
        "x|[workers]\\nkill-grace = \"0s\"|workers.kill-grace",
        "x|[workers]\\nwarm = \"yes\"|workers.warm",
        "x|[workers]\\nmax-jobs = 0|workers.max-jobs",
        "x|[workers]\\nmax-rss = \"1MiB\"|workers.max-rss",
        "x|[workers]\\nmax-rss = \"lots\"|workers.max-rss",
        "x|[workers]\\nmodule-cache = -1|workers.module-cache",
        "x|[workers]\\nshutdown-grace = \"2h\"|workers.shutdown-grace",
        "x|api = 3|api",
      })
  void unknownKeysAndBadValuesAreErrorsNamingTheKey(String unused, String toml, String key) {
    ConfigurationException e =
        assertThrows(ConfigurationException.class, () -> parse(toml.replace("\\n", "\n")));
    assertEquals(key, e.field(), e.getMessage());
    assertTrue(e.getMessage().startsWith("test.toml: " + key + ": "), e.getMessage());
  }

  @Test
  void invalidTomlIsAnErrorNamingTheFile() {
    ConfigurationException e =
        assertThrows(ConfigurationException.class, () -> parse("[api\nlisten ="));
    assertTrue(e.getMessage().startsWith("test.toml: not valid TOML"), e.getMessage());
    ConfigurationException dup =
        assertThrows(
            ConfigurationException.class,
            () -> parse("[jobs]\nconcurrency = 1\nconcurrency = 2\n"));
    assertTrue(dup.getMessage().startsWith("test.toml: not valid TOML"), dup.getMessage());
  }

  @Test
  void aMissingFileIsNamed() {
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class, () -> DaemonConfig.load(tmp.resolve("nope.toml")));
    assertTrue(e.getMessage().contains("nope.toml: no such file"), e.getMessage());
  }

  @Test
  void theStateDirComesFromTheConfigThenPlasmHome() {
    assertEquals(
        Path.of("/x"), parse("state-dir = \"/x\"").resolveStateDir(Map.of("PLASM_HOME", "/y")));
    assertEquals(Path.of("/y"), parse("").resolveStateDir(Map.of("PLASM_HOME", "/y")));
  }

  /** docs/config.md's full example is a valid configuration, and documents every key the parser knows. */
  @Test
  void theDocumentedExampleParsesAndCoversEveryKey() throws Exception {
    String doc = Files.readString(repoRoot().resolve("docs/config.md"));
    Matcher m = Pattern.compile("```toml\n(.*?)```", Pattern.DOTALL).matcher(doc);
    assertTrue(m.find(), "docs/config.md has a ```toml example");
    String example = m.group(1);
    DaemonConfig c = DaemonConfig.parse(Path.of("docs/config.md"), example);
    assertEquals(DaemonConfig.DEFAULTS.api().listenPort(), c.api().listenPort());
    for (String key : DaemonConfig.keys()) {
      String bare = key.substring(key.indexOf('.') + 1);
      assertTrue(
          Pattern.compile("(?m)^#? ?" + Pattern.quote(bare) + " =").matcher(example).find(),
          "example lacks " + key);
      assertTrue(
          doc.contains("| `" + key + "` |"), "docs/config.md's table does not document " + key);
    }
  }

  static Path repoRoot() {
    String root = System.getProperty("plasm.repo.root");
    return root != null ? Path.of(root) : Path.of("../..").toAbsolutePath().normalize();
  }
}
