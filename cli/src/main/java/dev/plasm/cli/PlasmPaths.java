package dev.plasm.cli;

import java.nio.file.Path;
import java.util.Map;

/** Where Plasm keeps its files: {@code $PLASM_HOME} (default {@code ~/.plasm}) and the image. */
final class PlasmPaths {
  private PlasmPaths() {}

  /** {@code $PLASM_HOME}, or {@code ~/.plasm}. */
  static Path home(Map<String, String> env) {
    String h = env.get("PLASM_HOME");
    if (h != null && !h.isBlank()) {
      return Path.of(h);
    }
    return Path.of(System.getProperty("user.home"), ".plasm");
  }
}
