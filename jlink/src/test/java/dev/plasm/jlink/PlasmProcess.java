package dev.plasm.jlink;

import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/** Starts a program of the image as a user would, with a bounded wait, and collects its output. */
final class PlasmProcess {

  /** The repository root (examples/, fixtures), the image and the directory of module jars. */
  static final Path REPO = dir("plasm.repo.root");

  static final Path IMAGE = dir("plasm.image");
  static final Path MODULES = dir("plasm.modules.dir");

  /** Longest a command that should finish quickly may take on a loaded 2-core machine. */
  static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);

  record Result(int exitCode, String stdout, String stderr, Duration elapsed) {
    String describe() {
      return "exit "
          + exitCode
          + " after "
          + elapsed.toMillis()
          + " ms\n--- stdout ---\n"
          + stdout
          + "\n--- stderr ---\n"
          + stderr;
    }
  }

  private final List<String> command = new ArrayList<>();
  private final Map<String, String> env = new HashMap<>();
  private Path workDir = REPO;
  private Duration timeout = DEFAULT_TIMEOUT;

  private PlasmProcess(Path program, List<String> args) {
    command.add(program.toString());
    command.addAll(args);
  }

  /** {@code IMAGE/bin/plasm ARGS}. */
  static PlasmProcess plasm(String... args) {
    return new PlasmProcess(IMAGE.resolve("bin/plasm"), List.of(args));
  }

  /** Any program, e.g. a symlink to bin/plasm or the image's bin/java. */
  static PlasmProcess program(Path program, String... args) {
    return new PlasmProcess(program, List.of(args));
  }

  PlasmProcess env(String name, String value) {
    env.put(name, value);
    return this;
  }

  PlasmProcess in(Path dir) {
    workDir = dir;
    return this;
  }

  PlasmProcess timeout(Duration t) {
    timeout = t;
    return this;
  }

  /**
   * Runs the command to its end. {@code PLASM_HOME} points at {@code home} (unless set) so plugins
   * of the person running the tests are never loaded; stdin is empty.
   */
  Result run(Path home) throws IOException, InterruptedException {
    Path out = Files.createTempFile(home, "stdout", ".txt");
    Path err = Files.createTempFile(home, "stderr", ".txt");
    ProcessBuilder pb = start(home).redirectOutput(out.toFile()).redirectError(err.toFile());
    long start = System.nanoTime();
    Process p = pb.start();
    try {
      if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        fail(
            command
                + " did not end within "
                + timeout
                + "\n--- stdout ---\n"
                + read(out)
                + "\n--- stderr ---\n"
                + read(err));
      }
      Duration elapsed = Duration.ofNanos(System.nanoTime() - start);
      return new Result(p.exitValue(), read(out), read(err), elapsed);
    } finally {
      destroy(p);
    }
  }

  /** A started process, for tests that signal it; the caller must {@link #destroy} it. */
  Process startAsync(Path home) throws IOException {
    return start(home)
        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
        .redirectError(home.resolve("async-stderr.txt").toFile())
        .start();
  }

  private ProcessBuilder start(Path home) {
    ProcessBuilder pb = new ProcessBuilder(command).directory(workDir.toFile());
    pb.redirectInput(ProcessBuilder.Redirect.from(new java.io.File("/dev/null")));
    Map<String, String> e = pb.environment();
    // The tests' own JVM options must not reach the image's JVM.
    e.remove("JAVA_TOOL_OPTIONS");
    e.remove("JDK_JAVA_OPTIONS");
    e.remove("PLASM_JAVA_OPTS");
    e.remove("PLASM_AOT");
    e.put("PLASM_HOME", home.toString());
    e.putAll(env);
    return pb;
  }

  /** Ends the process and its descendants, if still running. */
  static void destroy(Process p) throws InterruptedException {
    if (!p.isAlive()) {
      return;
    }
    p.descendants().forEach(ProcessHandle::destroyForcibly);
    p.destroyForcibly();
    assertTrue(p.waitFor(30, TimeUnit.SECONDS), "process " + p.pid() + " survived SIGKILL");
  }

  private static String read(Path f) throws IOException {
    return Files.readString(f, StandardCharsets.UTF_8);
  }

  private static Path dir(String property) {
    String v = System.getProperty(property);
    if (v == null || v.isBlank()) {
      throw new IllegalStateException(
          "system property "
              + property
              + " is not set; run these tests through Maven (mvn -pl jlink verify)");
    }
    return Path.of(v).toAbsolutePath().normalize();
  }
}
