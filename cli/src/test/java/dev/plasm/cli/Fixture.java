package dev.plasm.cli;

import dev.plasm.fixtures.Fixtures;
import java.nio.file.Path;

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
}
