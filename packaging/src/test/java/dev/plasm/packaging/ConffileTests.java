package dev.plasm.packaging;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.daemon.DaemonConfig;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * /etc/plasm/plasmd.toml against docs/config.md, the source of truth for config keys: the conffile
 * must list every documented key with its default, and the documented defaults must be the daemon's.
 * A key added to docs/config.md appears in the next package by itself (the conffile is generated).
 */
class ConffileTests {
  static final Path CONFIG_MD = Deb.REPO.resolve("docs/config.md");
  static final Pattern TABLE_ROW = Pattern.compile("^\\| `([a-z0-9.-]+)` \\|.*");
  static final Pattern KEY = Pattern.compile("^(#\\s*)?([A-Za-z0-9_-]+)\\s*=.*$");

  /** The keys of the "Keys" table of docs/config.md (`api.listen`, ...). */
  static Set<String> documentedKeys() throws IOException {
    Set<String> keys = new LinkedHashSet<>();
    for (String line : Files.readAllLines(CONFIG_MD)) {
      Matcher m = TABLE_ROW.matcher(line);
      if (m.matches()) {
        keys.add(m.group(1));
      }
    }
    assertTrue(keys.size() >= 20, "docs/config.md's Keys table: " + keys);
    return keys;
  }

  /** Keys of a TOML text with their tables: active ones, and with {@code commented} also '# key =' lines. */
  static Set<String> keysOf(List<String> lines, boolean commented) {
    Set<String> keys = new LinkedHashSet<>();
    String table = "";
    for (String line : lines) {
      String t = line.strip();
      if (t.startsWith("[")) {
        table = t.substring(1, t.indexOf(']')) + ".";
        continue;
      }
      Matcher m = KEY.matcher(t);
      if (m.matches() && (m.group(1) == null || commented)) {
        keys.add(table + m.group(2));
      }
    }
    return keys;
  }

  /** The ```toml block under "Every key, with its default". */
  static List<String> docsBlock() throws IOException {
    List<String> doc = Files.readAllLines(CONFIG_MD);
    int heading = doc.indexOf("## Every key, with its default");
    assertTrue(heading >= 0, "docs/config.md has no heading 'Every key, with its default'");
    int start = doc.subList(heading, doc.size()).indexOf("```toml") + heading + 1;
    int end = doc.subList(start, doc.size()).indexOf("```") + start;
    assertTrue(
        start > 0 && end > start,
        "docs/config.md has no toml block under 'Every key, with its default'");
    return doc.subList(start, end);
  }

  @Test
  void theDocsTableAndTheDocsExampleListTheSameKeys() throws IOException {
    assertEquals(documentedKeys(), keysOf(docsBlock(), true));
  }

  @Test
  void theDocumentedDefaultsAreTheDaemonsDefaults() throws IOException {
    // The active lines of the docs' example are the defaults; the daemon's strict parser must
    // agree.
    DaemonConfig parsed = DaemonConfig.parse(null, String.join("\n", docsBlock()));
    assertEquals(DaemonConfig.DEFAULTS, parsed);
  }

  @Test
  void theConffileHasEveryDocumentedKeyCommentedWithItsDefault() throws IOException {
    List<String> conffile = Files.readAllLines(Deb.root().resolve("etc/plasm/plasmd.toml"));
    Set<String> missing = new LinkedHashSet<>(documentedKeys());
    missing.removeAll(keysOf(conffile, true));
    assertEquals(Set.of(), missing, "keys of docs/config.md missing from /etc/plasm/plasmd.toml");
    // Only the package's state directory is set; every other key is a comment.
    assertEquals(Set.of("state-dir"), keysOf(conffile, false));
    // Each commented key line is the docs' line, with the docs' default.
    List<String> docLines = new ArrayList<>();
    for (String l : docsBlock()) {
      docLines.add(l.startsWith("#") ? l : "# " + l);
    }
    for (String line : conffile) {
      if (line.startsWith("# ") && KEY.matcher(line.substring(2)).matches()) {
        assertTrue(docLines.contains(line), "not a line of docs/config.md: " + line);
      }
    }
    // As installed, the daemon reads it as the defaults with the service's state directory.
    DaemonConfig installed = DaemonConfig.parse(null, String.join("\n", conffile));
    assertEquals(DaemonConfig.DEFAULTS.withStateDir(Path.of("/var/lib/plasm")), installed);
  }

  @Test
  void theGeneratorRefusesAKeyTheDocsDoNotHave() throws IOException {
    Path out = Files.createTempFile("plasmd", ".toml");
    Deb.Result r =
        Deb.run(
            List.of(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                Deb.REPO.resolve("packaging/src/main/tools/ConffileFromDocs.java").toString(),
                CONFIG_MD.toString(),
                out.toString(),
                "--set",
                "no-such-key = 1"),
            60);
    Files.deleteIfExists(out);
    assertEquals(1, r.code(), r.output());
    assertTrue(r.output().contains("documents no key 'no-such-key'"), r.output());
  }
}
