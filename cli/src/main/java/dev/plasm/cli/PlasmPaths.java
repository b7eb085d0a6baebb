package dev.plasm.cli;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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

  /**
   * The plugin directories searched by default: the image's {@code plugins/} (the launcher sets
   * {@code plasm.image}) and then {@code $PLASM_HOME/plugins}.
   */
  static List<Path> defaultPluginDirs(Map<String, String> env) {
    List<Path> dirs = new ArrayList<>();
    String image = System.getProperty("plasm.image");
    if (image != null && !image.isBlank()) {
      dirs.add(Path.of(image, "plugins"));
    }
    dirs.add(home(env).resolve("plugins"));
    return dirs;
  }
}
