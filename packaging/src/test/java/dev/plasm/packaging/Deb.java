package dev.plasm.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** The .deb this build made, extracted once, and the external tools the package tests run. */
final class Deb {
  private Deb() {}

  static final Path TARGET =
      Path.of(System.getProperty("plasm.deb.dir", "target")).toAbsolutePath();
  static final Path REPO =
      Path.of(System.getProperty("plasm.repo.root", "..")).toAbsolutePath().normalize();
  static final String PROJECT_VERSION =
      System.getProperty("plasm.project.version", "0.1.0-SNAPSHOT");
  private static Path extracted;

  /** The package file: exactly one plasm_*.deb in target/. */
  static Path file() {
    try (Stream<Path> s = Files.list(TARGET)) {
      List<Path> debs =
          s.filter(p -> p.getFileName().toString().matches("plasm_.*\\.deb")).toList();
      assertEquals(1, debs.size(), "expected one plasm_*.deb in " + TARGET + ", found " + debs);
      return debs.get(0);
    } catch (IOException e) {
      throw new AssertionError(e);
    }
  }

  /** The package's data, unpacked with dpkg-deb -x (as a user: modes kept, owner is the caller). */
  static synchronized Path root() {
    if (extracted == null) {
      Path dir = TARGET.resolve("deb-extracted");
      run(List.of("rm", "-rf", dir.toString()), 60);
      Result r = run(List.of("dpkg-deb", "-x", file().toString(), dir.toString()), 120);
      assertEquals(0, r.code(), r.output());
      extracted = dir;
    }
    return extracted;
  }

  /** A tool the package checks need, or a failure that says how to install it. */
  static void require(String tool, String debianPackage) {
    Result r = run(List.of("sh", "-c", "command -v " + tool), 10);
    if (r.code() != 0) {
      fail(
          tool
              + " is not installed; the package checks need it: apt-get install "
              + debianPackage
              + " (.ci/run installs it)");
    }
  }

  record Result(int code, String output) {
    List<String> lines() {
      return output.isEmpty() ? List.of() : List.of(output.split("\n"));
    }
  }

  /** Runs a command with stdout and stderr merged; fails the test past the timeout. */
  static Result run(List<String> command, int timeoutSeconds) {
    try {
      Path out = Files.createTempFile("plasm-deb-test", ".out");
      try {
        Process p =
            new ProcessBuilder(command)
                .redirectErrorStream(true)
                .redirectOutput(out.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .start();
        if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
          p.destroyForcibly().waitFor();
          fail(String.join(" ", command) + " did not finish in " + timeoutSeconds + " s");
        }
        return new Result(p.exitValue(), Files.readString(out, StandardCharsets.UTF_8));
      } finally {
        Files.deleteIfExists(out);
      }
    } catch (IOException e) {
      throw new AssertionError("cannot run " + command + ": " + e, e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new AssertionError(e);
    }
  }

  static Result runOk(List<String> command, int timeoutSeconds) {
    Result r = run(command, timeoutSeconds);
    assertEquals(0, r.code(), String.join(" ", command) + " failed:\n" + r.output());
    return r;
  }

  /** A control field of the package (dpkg-deb -f). */
  static String field(String name) {
    return runOk(List.of("dpkg-deb", "-f", file().toString(), name), 30).output().strip();
  }

  /** One control file (control, conffiles, md5sums, postinst, ...). */
  static String controlFile(String name) {
    return runOk(List.of("dpkg-deb", "-I", file().toString(), name), 30).output();
  }

  /** Every line of `dpkg-deb -c`: mode, owner/group, size, date, time, path (and -> target). */
  static List<String> listing() {
    List<String> lines =
        new ArrayList<>(runOk(List.of("dpkg-deb", "-c", file().toString()), 60).lines());
    assertTrue(lines.size() > 50, "suspiciously few entries: " + lines.size());
    return lines;
  }
}
