package dev.plasm.cli;

import dev.plasm.fixtures.Fixtures;
import java.io.File;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Paths of fixtures and examples for CLI tests. */
final class Fixture {
  private Fixture() {}

  static Path repoRoot() {
    String root = System.getProperty("plasm.repo.root");
    return root != null ? Path.of(root) : Path.of("..").toAbsolutePath().normalize();
  }

  static Path hello() {
    return repoRoot().resolve("examples/hello.wasm");
  }

  static String path(String name, Path tmp) {
    return Fixtures.copy(name, tmp).toString();
  }

  /** {@code java ... dev.plasm.cli.Main ARGS} from the tests' module and class path, as a user's process. */
  static List<String> plasmCommand(String... args) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String cp =
        System.getProperty("jdk.module.path", "")
            + File.pathSeparator
            + System.getProperty("java.class.path");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                java,
                "-Xmx512m",
                "-XX:TieredStopAtLevel=1",
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                cp,
                "dev.plasm.cli.Main"));
    cmd.addAll(List.of(args));
    return cmd;
  }
}
