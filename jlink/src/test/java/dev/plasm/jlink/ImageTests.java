package dev.plasm.jlink;

import static dev.plasm.jlink.PlasmProcess.IMAGE;
import static dev.plasm.jlink.PlasmProcess.MODULES;
import static dev.plasm.jlink.PlasmProcess.REPO;
import static dev.plasm.jlink.PlasmProcess.plasm;
import static dev.plasm.jlink.PlasmProcess.program;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.jlink.PlasmProcess.Result;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runtime image in target/image, run the way a user runs it: through bin/plasm. */
class ImageTests {

  static final String HELLO = "examples/hello.wasm";
  static final String LOOP =
      "modules/plasm-test-fixtures/src/main/resources/dev/plasm/fixtures/loop-br-if.wasm";

  @TempDir Path home;

  @Test
  void imageHasTheExpectedLayout() {
    for (String exe : List.of("bin/plasm", "bin/java")) {
      assertTrue(Files.isExecutable(IMAGE.resolve(exe)), exe + " is missing or not executable");
    }
    for (String dir : List.of("lib", "conf", "plugins")) {
      assertTrue(Files.isDirectory(IMAGE.resolve(dir)), dir + "/ is missing");
    }
    assertTrue(
        Files.isRegularFile(IMAGE.resolve("plugins/README.txt")), "plugins/README.txt is missing");
    Path aot = IMAGE.resolve("lib/plasm.aot");
    assertTrue(Files.isRegularFile(aot), "the AOT cache lib/plasm.aot is missing");
    // jlink was asked for no header files and no man pages.
    assertFalse(Files.exists(IMAGE.resolve("include")), "include/ should not be in the image");
    assertFalse(Files.exists(IMAGE.resolve("man")), "man/ should not be in the image");
  }

  @Test
  void runsHelloWithArguments() throws Exception {
    Result r = plasm("run", HELLO, "--", "a", "b").run(home);
    assertEquals(0, r.exitCode(), r.describe());
    // Exactly the guest's output: nothing from the JVM (AOT or GC warnings) may reach stdout.
    assertEquals("Hello from WebAssembly!\narg 1: a\narg 2: b\n", r.stdout(), r.describe());
  }

  @Test
  void signsAndVerifiesReceiptsFromTheImage() throws Exception {
    Path receipt = home.resolve("hello.receipt.json");
    Result run =
        plasm("run", "--engine", "chicory-interpreter", "--receipt", receipt.toString(), HELLO)
            .run(home);
    assertEquals(0, run.exitCode(), run.describe());
    Result id = plasm("identity", "show", "--json").run(home);
    assertEquals(0, id.exitCode(), id.describe());
    String peer = id.stdout().replaceAll("(?s).*\"peerId\" : \"([^\"]+)\".*", "$1");
    // A receipt produced on one engine re-executes and matches on the other two.
    for (String engine : List.of("chicory-compiler", "wasmtime")) {
      Result verify =
          plasm(
                  "receipt",
                  "verify",
                  receipt.toString(),
                  "--trust",
                  peer,
                  "--module",
                  HELLO,
                  "--reexecute",
                  "--engine",
                  engine)
              .run(home);
      assertEquals(0, verify.exitCode(), verify.describe());
      assertTrue(
          verify.stdout().contains("on " + engine + ": completed with exit code 0"),
          verify.describe());
      assertTrue(verify.stdout().contains("VALID"), verify.describe());
    }
  }

  @Test
  void printsItsVersion() throws Exception {
    Result r = plasm("--version").run(home);
    assertEquals(0, r.exitCode(), r.describe());
    assertTrue(r.stdout().startsWith("plasm "), r.describe());
    assertTrue(r.stdout().contains("Java 25"), r.describe());
  }

  @Test
  void listsBothChicoryEnginesAsJson() throws Exception {
    Result r = plasm("engines", "--json").run(home);
    assertEquals(0, r.exitCode(), r.describe());
    for (String id : List.of("chicory-interpreter", "chicory-compiler")) {
      assertTrue(
          Pattern.compile("\"id\"\\s*:\\s*\"" + id + "\"").matcher(r.stdout()).find(),
          id + " missing\n" + r.describe());
    }
  }

  @Test
  void launcherReachedThroughSymlinksUsesTheImage() throws Exception {
    // A chain of two links, in directories unrelated to the image, run from a third.
    Path binDir = Files.createDirectories(home.resolve("usr/local/bin"));
    Path optDir = Files.createDirectories(home.resolve("opt"));
    Path first =
        Files.createSymbolicLink(optDir.resolve("plasm-current"), IMAGE.resolve("bin/plasm"));
    Path link = Files.createSymbolicLink(binDir.resolve("plasm"), first);
    Path cwd = Files.createDirectories(home.resolve("work"));
    Result r =
        program(link, "run", REPO.resolve(HELLO).toString())
            .in(cwd)
            .env("PLASM_JAVA_OPTS", "-XshowSettings:properties")
            .run(home);
    assertEquals(0, r.exitCode(), r.describe());
    assertEquals("Hello from WebAssembly!\n", r.stdout(), r.describe());
    Path real = IMAGE.toRealPath();
    assertTrue(
        r.stderr().contains("java.home = " + real + "\n"), "not the image's JVM\n" + r.describe());
    assertTrue(
        r.stderr().contains("plasm.image = " + real + "\n"), "wrong plasm.image\n" + r.describe());
  }

  @Test
  void imageHoldsPlasmAndOnlyTheJdkModulesItNeeds() throws Exception {
    Result r = program(IMAGE.resolve("bin/java"), "--list-modules").run(home);
    assertEquals(0, r.exitCode(), r.describe());
    List<String> modules = r.stdout().lines().map(l -> l.split("@")[0].trim()).toList();
    for (String needed :
        List.of(
            "java.base",
            "dev.plasm.cli",
            "dev.plasm.host",
            "dev.plasm.engine.chicory",
            "info.picocli")) {
      assertTrue(modules.contains(needed), needed + " missing from " + modules);
    }
    // Only what the modules require is linked (java.xml for Jackson, java.sql & co. for
    // Bouncy Castle): not the desktop, tools or the compiler.
    for (String unwanted :
        List.of(
            "java.desktop",
            "java.rmi",
            "java.management",
            "jdk.compiler",
            "jdk.jshell",
            "jdk.jlink")) {
      assertFalse(modules.contains(unwanted), unwanted + " should not be in the image: " + modules);
    }
    // --bind-services or a stray root module would pull in dozens of JDK modules.
    List<String> jdk =
        modules.stream().filter(m -> m.startsWith("java.") || m.startsWith("jdk.")).toList();
    assertTrue(jdk.size() <= 12, "unexpectedly many JDK modules: " + jdk);
  }

  @Test
  void pluginDirWithADuplicateEngineWarnsAndStillRuns() throws Exception {
    Path plugins = Files.createDirectories(home.resolve("plugins-extra"));
    Path jar = copyChicoryPlugin(plugins);
    Result r = plasm("--plugin-dir", plugins.toString(), "run", HELLO).run(home);
    assertEquals(0, r.exitCode(), r.describe());
    assertEquals("Hello from WebAssembly!\n", r.stdout(), r.describe());
    assertTrue(
        r.stderr().contains("plasm: warning: " + jar),
        "no warning naming " + jar + "\n" + r.describe());
    assertTrue(r.stderr().contains("is already provided by"), r.describe());
  }

  @Test
  void pluginsInPlasmHomeAreLoaded() throws Exception {
    Path jar = copyChicoryPlugin(Files.createDirectories(home.resolve("plugins")));
    Result r = plasm("engines").run(home);
    assertEquals(0, r.exitCode(), r.describe());
    assertTrue(r.stderr().contains(jar + ": engine id 'chicory-interpreter'"), r.describe());
  }

  @Test
  void wallClockTimeoutEndsARunawayGuest() throws Exception {
    Result r = plasm("run", "--timeout", "1s", LOOP).timeout(Duration.ofSeconds(30)).run(home);
    assertEquals(124, r.exitCode(), r.describe());
    assertTrue(r.stderr().contains("limit exceeded (wall-time)"), r.describe());
    assertTrue(
        r.elapsed().compareTo(Duration.ofSeconds(10)) < 0,
        "took " + r.elapsed().toMillis() + " ms");
  }

  @Test
  void aotCacheIsUsed() throws Exception {
    // AOTMode=on turns "cache unusable" into a start-up error instead of a warning.
    Result r =
        plasm("run", HELLO)
            .env("PLASM_JAVA_OPTS", "-XX:AOTMode=on -Xlog:class+load=info:stderr")
            .run(home);
    assertEquals(0, r.exitCode(), r.describe());
    assertEquals("Hello from WebAssembly!\n", r.stdout(), r.describe());
    assertTrue(r.stderr().contains("dev.plasm.cli.Main source: shared objects file"), r.describe());
    // picocli's Java 5 classes are rewritten at image build so that the cache can hold them.
    assertTrue(
        r.stderr().contains("picocli.CommandLine source: shared objects file"), r.describe());
    List<String> outside =
        r.stderr()
            .lines()
            .filter(l -> l.contains(" picocli.") && !l.contains("source: shared objects file"))
            .toList();
    assertEquals(List.of(), outside, "picocli classes loaded outside the AOT cache");
    // The shell and the status line cost plasm run nothing: on a pipe no jline class is loaded.
    List<String> jline = r.stderr().lines().filter(l -> l.contains(" org.jline.")).toList();
    assertEquals(List.of(), jline, "jline classes loaded by plasm run on a pipe");
    // The cache is trained on every bundled engine's first run (build-image.sh), not only the one
    // hello.wasm ran on: `auto` (wasmtime) and both Chicory engines start from it.
    for (String c :
        List.of(
            "dev.plasm.engine.wasmtime.internal.WasmtimeModule",
            "io.github.kawamuray.wasmtime.Module",
            "com.dylibso.chicory.runtime.InterpreterMachine",
            "com.dylibso.chicory.compiler.MachineFactoryCompiler")) {
      assertTrue(
          r.stderr().contains(c + " source: shared objects file"),
          c + " not in the AOT cache:\n" + r.describe());
    }
  }

  @Test
  void aClientCommandStartsFromTheCacheWithoutTheJdkHttpClient() throws Exception {
    // The cache is trained on the client commands too; they speak HTTP/1.1 on a plain socket, so
    // neither the JDK's HTTP client nor its TLS context (450 classes) is loaded, and no lookup
    // makes
    // the JDK instantiate Bouncy Castle's JCA providers (about a second) either.
    Result r =
        plasm("jobs", "--daemon", "127.0.0.1:1")
            .env("PLASM_JAVA_OPTS", "-XX:AOTMode=on -Xlog:class+load=info:stderr")
            .run(home);
    assertEquals(69, r.exitCode(), r.describe());
    assertTrue(r.stderr().contains("no daemon at http://127.0.0.1:1"), r.describe());
    for (String c :
        List.of(
            "dev.plasm.cli.JobsCommand",
            "dev.plasm.cli.DaemonHttp",
            "dev.plasm.cli.DaemonClient$Request")) {
      assertTrue(
          r.stderr().contains(c + " source: shared objects file"),
          c + " not in the AOT cache:\n" + r.describe());
    }
    List<String> http =
        r.stderr()
            .lines()
            .filter(l -> l.contains(" jdk.internal.net.http.") || l.contains(" sun.security.ssl."))
            .toList();
    assertEquals(List.of(), http, "the JDK's HTTP client or TLS loaded by a client command");
    assertFalse(
        r.stderr().contains("org.bouncycastle.jce.provider.BouncyCastleProvider "),
        "Bouncy Castle's provider was loaded");
  }

  @Test
  void aotCacheMismatchOnlyWarnsOnStderr() throws Exception {
    // The cache was made without compact object headers, so this JVM cannot map it.
    Result r = plasm("run", HELLO).env("PLASM_JAVA_OPTS", "-XX:+UseCompactObjectHeaders").run(home);
    assertEquals(0, r.exitCode(), r.describe());
    assertEquals("Hello from WebAssembly!\n", r.stdout(), r.describe());
    assertTrue(r.stderr().contains("Unable to use AOT cache"), r.describe());
  }

  @Test
  void plasmAotOffSkipsTheCache() throws Exception {
    Result r =
        plasm("run", HELLO)
            .env("PLASM_AOT", "off")
            .env("PLASM_JAVA_OPTS", "-Xlog:class+load=info:stderr")
            .run(home);
    assertEquals(0, r.exitCode(), r.describe());
    assertTrue(r.stderr().contains("dev.plasm.cli.Main source: jrt:/dev.plasm.cli"), r.describe());
  }

  @Test
  void serialGcByDefaultAndACollectorFromPlasmJavaOptsWins() throws Exception {
    Result serial = plasm("run", HELLO).env("PLASM_JAVA_OPTS", "-Xlog:gc:stderr").run(home);
    assertEquals(0, serial.exitCode(), serial.describe());
    assertTrue(serial.stderr().contains("Using Serial"), serial.describe());

    Result g1 =
        plasm("run", HELLO).env("PLASM_JAVA_OPTS", " -Xlog:gc:stderr\n -XX:+UseG1GC ").run(home);
    assertEquals(0, g1.exitCode(), g1.describe());
    assertTrue(g1.stderr().contains("Using G1"), g1.describe());
    assertEquals("Hello from WebAssembly!\n", g1.stdout(), g1.describe());
  }

  @Test
  void launcherExecsTheJvmSoSignalsReachIt() throws Exception {
    Process p = plasm("run", "--timeout", "60s", LOOP).startAsync(home);
    try {
      Path java = IMAGE.resolve("bin/java").toRealPath();
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      Optional<String> command = Optional.empty();
      while (System.nanoTime() < deadline) {
        command = p.info().command();
        if (command.isPresent() && command.get().equals(java.toString())) {
          break;
        }
        Thread.sleep(50);
      }
      assertEquals(
          Optional.of(java.toString()), command, "the launcher's pid is not the JVM (no exec?)");
      p.destroy(); // SIGTERM to the pid the caller holds
      assertTrue(p.waitFor(20, TimeUnit.SECONDS), "the JVM ignored SIGTERM");
      try (Stream<ProcessHandle> rest = p.descendants()) {
        assertEquals(0, rest.filter(ProcessHandle::isAlive).count(), "processes left behind");
      }
    } finally {
      PlasmProcess.destroy(p);
    }
  }

  private static Path copyChicoryPlugin(Path dir) throws IOException {
    try (Stream<Path> jars = Files.list(MODULES)) {
      Path source =
          jars.filter(j -> j.getFileName().toString().startsWith("plasm-engine-chicory-"))
              .findFirst()
              .orElseThrow(() -> new AssertionError("no plasm-engine-chicory jar in " + MODULES));
      return Files.copy(source, dir.resolve(source.getFileName()));
    }
  }
}
