package dev.plasm.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.util.List;
import org.junit.jupiter.api.Test;

/** lintian on the .deb: no error and no warning; every override in the package says why. */
class LintianTests {
  @Test
  void lintianFindsNoErrorsOrWarnings() {
    Deb.require("lintian", "lintian");
    Deb.Result r =
        Deb.run(
            List.of(
                "lintian",
                "--allow-root",
                "--display-info",
                "--fail-on",
                "error,warning",
                Deb.file().toString()),
            300);
    List<String> serious =
        r.lines().stream().filter(l -> l.startsWith("E: ") || l.startsWith("W: ")).toList();
    assertEquals(List.of(), serious, r.output());
    assertEquals(0, r.code(), r.output());
  }

  @Test
  void everyOverrideHasAReason() throws Exception {
    List<String> lines =
        Files.readAllLines(Deb.root().resolve("usr/share/lintian/overrides/plasm"));
    boolean reason = false;
    for (String line : lines) {
      if (line.startsWith("#")) {
        reason = true;
      } else if (line.isBlank()) {
        reason = false;
      } else {
        assertTrue(reason, "override without a comment above it: " + line);
      }
    }
  }
}
