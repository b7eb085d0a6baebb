package dev.plasm.conformance;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DynamicContainer;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * The official WASI preview 1 test suite, run through the runtime image's {@code plasm run} on every
 * bundled engine, as the suite's specification says: per test a fresh copy of its directory, the
 * spec's args and env, its {@code root} preopened as the guest's {@code /}, and the exit code,
 * stdout and stderr checked.
 *
 * <p>A test that fails is a build failure unless it is in the engine's known-failure list
 * ({@code src/test/known-failures/ENGINE.properties}, {@code suite/test = reason}); a listed test
 * that passes is a build failure too, so the lists only shrink.
 */
class WasiTestsuiteTests {
  /** The engines linked into the image; {@link #theBundledEnginesAreTheOnesTested} keeps this honest. */
  static final List<String> ENGINES =
      List.of("chicory-interpreter", "chicory-compiler", "wasmtime");

  private static final Path IMAGE = dir("plasm.image");
  private static final Path SUITE = dir("plasm.conformance.suite");
  private static final Path KNOWN_FAILURES = dir("plasm.conformance.known-failures");
  private static final Path WORK = Path.of(property("plasm.conformance.work"));
  private static final Path REPORT = Path.of(property("plasm.conformance.report"));
  private static final int PARALLEL = Integer.parseInt(property("plasm.conformance.parallel"));

  /** A test that hangs is a failure; no test of the suite needs more than a second or two. */
  private static final Duration TIMEOUT = Duration.ofSeconds(60);

  private static final ExecutorService POOL = Executors.newFixedThreadPool(PARALLEL);
  private static final Map<String, Map<String, Verdict>> VERDICTS = new ConcurrentHashMap<>();

  /** How one test ended, for the report. */
  enum Verdict {
    PASSED,
    FAILED,
    KNOWN_FAILURE,
    LISTED_BUT_PASSED
  }

  @Test
  void theBundledEnginesAreTheOnesTested() throws Exception {
    Path home = Files.createDirectories(WORK.resolve("engines-home"));
    Result r = plasm(List.of("engines", "--json"), home, home);
    assertEquals(0, r.exitCode(), r.describe());
    Set<String> ids = new TreeSet<>();
    Matcher m = Pattern.compile("\"id\"\\s*:\\s*\"([a-z0-9-]+)\"").matcher(r.stdout());
    while (m.find()) {
      ids.add(m.group(1));
    }
    assertEquals(
        new TreeSet<>(ENGINES),
        ids,
        "a bundled engine is missing from ENGINES (or gone from the image)");
  }

  @Test
  void everyKnownFailureNamesATestOfTheSuite() throws IOException {
    Set<String> names = new TreeSet<>();
    SuiteTest.all(SUITE).forEach(t -> names.add(t.id()));
    assertEquals(
        72,
        names.size(),
        "the suite holds the 72 preview-1 tests (src/test/wasi-testsuite/README.md)");
    try (Stream<Path> files = Files.list(KNOWN_FAILURES)) {
      for (Path f : files.toList()) {
        String engine = f.getFileName().toString().replaceFirst("\\.properties$", "");
        assertTrue(ENGINES.contains(engine), f + " is for no bundled engine");
        for (String listed : knownFailures(engine).stringPropertyNames()) {
          assertTrue(
              names.contains(listed),
              f + " lists " + listed + ", which is not a test of the suite");
        }
      }
    }
  }

  @TestFactory
  Stream<DynamicContainer> suite() throws IOException {
    List<SuiteTest> tests = SuiteTest.all(SUITE);
    List<DynamicContainer> engines = new ArrayList<>();
    for (String engine : ENGINES) {
      Properties known = knownFailures(engine);
      List<DynamicTest> cases = new ArrayList<>();
      for (SuiteTest t : tests) {
        // Started now, checked in order below: the pool runs ahead of the checks.
        Future<Result> run = POOL.submit(() -> run(engine, t));
        cases.add(
            DynamicTest.dynamicTest(
                t.id(), () -> check(engine, t, run, known.getProperty(t.id()))));
      }
      engines.add(DynamicContainer.dynamicContainer(engine, cases));
    }
    return engines.stream();
  }

  private static void check(String engine, SuiteTest t, Future<Result> run, String knownFailure)
      throws InterruptedException, ExecutionException {
    Result r = run.get();
    List<String> problems = t.spec().mismatches(r);
    boolean passed = problems.isEmpty();
    Map<String, Verdict> verdicts =
        VERDICTS.computeIfAbsent(engine, e -> new ConcurrentHashMap<>());
    if (knownFailure != null) {
      verdicts.put(t.id(), passed ? Verdict.LISTED_BUT_PASSED : Verdict.KNOWN_FAILURE);
      if (passed) {
        fail(
            t.id()
                + " passes on "
                + engine
                + " now: remove it from src/test/known-failures/"
                + engine
                + ".properties (and from docs/conformance.md)");
      }
      Assumptions.abort(
          "known failure of " + engine + ": " + knownFailure + "\n" + String.join("\n", problems));
    }
    verdicts.put(t.id(), passed ? Verdict.PASSED : Verdict.FAILED);
    if (!passed) {
      fail(
          t.id()
              + " fails on "
              + engine
              + ": "
              + String.join("; ", problems)
              + "\n"
              + r.describe());
    }
  }

  @AfterAll
  static void report() throws IOException {
    POOL.shutdownNow();
    StringBuilder out =
        new StringBuilder("WASI test suite (preview 1) through plasm run, passed of 72:\n");
    Map<String, Verdict> none = Map.of();
    for (String engine : ENGINES) {
      Map<String, Verdict> v = new TreeMap<>(VERDICTS.getOrDefault(engine, none));
      long passed =
          v.values().stream()
              .filter(x -> x == Verdict.PASSED || x == Verdict.LISTED_BUT_PASSED)
              .count();
      out.append(String.format("  %-20s %2d%n", engine, passed));
      v.forEach(
          (id, verdict) -> {
            if (verdict != Verdict.PASSED) {
              out.append("      ")
                  .append(id)
                  .append(": ")
                  .append(verdict.name().toLowerCase(java.util.Locale.ROOT))
                  .append('\n');
            }
          });
    }
    Files.createDirectories(REPORT.getParent());
    Files.writeString(REPORT, out);
    System.out.print(out);
  }

  /** Runs one test on one engine in a fresh copy of its directory. */
  private static Result run(String engine, SuiteTest t) throws IOException, InterruptedException {
    Path work = Files.createDirectories(WORK.resolve(engine).resolve(t.suite() + "-" + t.name()));
    deleteTree(work);
    Files.createDirectories(work);
    try {
      List<String> cmd =
          new ArrayList<>(
              List.of("run", "--engine", engine, "--timeout", TIMEOUT.toSeconds() + "s"));
      t.spec().env().forEach((k, v) -> cmd.add("--env=" + k + "=" + v));
      if (t.spec().root() != null) {
        Path root = work.resolve(t.spec().root());
        copyTree(t.wasm().resolveSibling(t.spec().root()), root);
        deleteCleanups(root);
        cmd.add("--dir=" + root + "::/");
      }
      cmd.add(t.wasm().toString());
      cmd.add("--");
      cmd.addAll(t.spec().args());
      Path home = Files.createDirectories(work.resolve(".plasm-home"));
      return plasm(cmd, work, home);
    } finally {
      deleteTree(work);
    }
  }

  /** {@code IMAGE/bin/plasm ARGS} in {@code cwd}, with an empty stdin and its own PLASM_HOME. */
  private static Result plasm(List<String> args, Path cwd, Path home)
      throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(IMAGE.resolve("bin/plasm").toString());
    command.addAll(args);
    Path out = Files.createTempFile(WORK, "stdout", ".txt");
    Path err = Files.createTempFile(WORK, "stderr", ".txt");
    ProcessBuilder pb = new ProcessBuilder(command).directory(cwd.toFile());
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Map<String, String> env = pb.environment();
    // The tests' own JVM options must not reach the image's JVM.
    for (String name :
        List.of("JAVA_TOOL_OPTIONS", "JDK_JAVA_OPTIONS", "PLASM_JAVA_OPTS", "PLASM_AOT")) {
      env.remove(name);
    }
    env.put("PLASM_HOME", home.toString());
    long start = System.nanoTime();
    Process p = pb.start();
    try {
      // Like the suite's runner: a pipe the guest may read, closed with nothing written.
      p.getOutputStream().close();
      boolean ended = p.waitFor(TIMEOUT.toSeconds() + 30, TimeUnit.SECONDS);
      Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
      String stdout = Files.readString(out, StandardCharsets.UTF_8);
      String stderr = Files.readString(err, StandardCharsets.UTF_8);
      return new Result(ended ? p.exitValue() : -1, stdout, stderr, elapsed, command);
    } finally {
      p.descendants().forEach(ProcessHandle::destroyForcibly);
      p.destroyForcibly();
      p.waitFor(30, TimeUnit.SECONDS);
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /** What one run of plasm gave; exit code -1 if it did not end in time. */
  record Result(
      int exitCode, String stdout, String stderr, Duration elapsed, List<String> command) {
    String describe() {
      return String.join(" ", command)
          + "\nexit "
          + (exitCode < 0 ? "(killed: no end within the timeout)" : exitCode)
          + " after "
          + elapsed.toMillis()
          + " ms\n--- stdout ---\n"
          + stdout
          + "\n--- stderr ---\n"
          + stderr;
    }
  }

  private static Properties knownFailures(String engine) {
    Properties p = new Properties();
    Path f = KNOWN_FAILURES.resolve(engine + ".properties");
    if (Files.isRegularFile(f)) {
      try (var in = Files.newBufferedReader(f, StandardCharsets.UTF_8)) {
        p.load(in);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return p;
  }

  private static void copyTree(Path from, Path to) throws IOException {
    try (Stream<Path> s = Files.walk(from)) {
      for (Path p : s.toList()) {
        Path target = to.resolve(from.relativize(p).toString());
        if (Files.isDirectory(p)) {
          Files.createDirectories(target);
        } else {
          // A plain copy: the data may be read-only where it lives, the copy must be writable.
          Files.write(target, Files.readAllBytes(p));
        }
      }
    }
  }

  /** The suite's rule: remove what earlier runs left behind ({@code *.cleanup}) before a run. */
  private static void deleteCleanups(Path root) throws IOException {
    try (Stream<Path> s = Files.walk(root)) {
      for (Path p : s.filter(p -> p.getFileName().toString().endsWith(".cleanup")).toList()) {
        deleteTree(p);
      }
    }
  }

  private static void deleteTree(Path p) throws IOException {
    if (!Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> s = Files.walk(p)) {
      for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
        if (!Files.isSymbolicLink(q)) {
          // Give back write permission a test may have taken (never through a link: it may lead
          // anywhere).
          q.toFile().setWritable(true);
        }
        Files.deleteIfExists(q);
      }
    }
  }

  private static String property(String name) {
    String v = System.getProperty(name);
    if (v == null || v.isBlank()) {
      throw new IllegalStateException(
          "system property "
              + name
              + " is not set; run through Maven (mvn -pl conformance verify)");
    }
    return v;
  }

  private static Path dir(String name) {
    Path p = Path.of(property(name)).toAbsolutePath().normalize();
    if (!Files.isDirectory(p)) {
      throw new IllegalStateException(
          name
              + " = "
              + p
              + " is not a directory"
              + (name.equals("plasm.image")
                  ? "; build the runtime image first (mvn -pl jlink -am verify, or scripts/plasm --version)"
                  : ""));
    }
    return p;
  }
}
