import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Writes the package's /etc/plasm/plasmd.toml from docs/config.md, so that the conffile lists every
 * key the documentation lists, with the same defaults, and cannot drift from it.
 *
 * <p>Usage: {@code java ConffileFromDocs.java DOCS/config.md OUT.toml [--set 'KEY = VALUE']...}
 *
 * <p>The source is the first {@code toml} block after the heading "Every key, with its default".
 * Table headers stay active (an empty table is valid), every {@code key = value} line is commented
 * out, prose comments stay. {@code --set} makes one key active with the given value: the package
 * sets {@code state-dir} to the service's state directory. A key given to --set that the block does
 * not have is an error, as is a block without keys.
 */
public final class ConffileFromDocs {
  static final String HEADING = "## Every key, with its default";
  static final Pattern KEY_LINE = Pattern.compile("^(#\\s*)?([A-Za-z0-9_-]+)\\s*=.*$");

  public static void main(String[] args) throws IOException {
    if (args.length < 2 || (args.length - 2) % 2 != 0) {
      fail("usage: ConffileFromDocs DOCS/config.md OUT.toml [--set 'KEY = VALUE']...");
    }
    Path docs = Path.of(args[0]);
    Path out = Path.of(args[1]);
    List<String[]> sets = new ArrayList<>();
    for (int i = 2; i < args.length; i += 2) {
      if (!args[i].equals("--set")) {
        fail("unknown argument " + args[i]);
      }
      Matcher m = KEY_LINE.matcher(args[i + 1]);
      if (!m.matches() || m.group(1) != null) {
        fail("--set needs KEY = VALUE, got: " + args[i + 1]);
      }
      sets.add(new String[] {m.group(2), args[i + 1].strip()});
    }

    List<String> block = tomlBlock(Files.readAllLines(docs, StandardCharsets.UTF_8), docs);
    List<String> lines =
        new ArrayList<>(
            List.of(
                "# /etc/plasm/plasmd.toml: the settings of the Plasm node that plasmd.service runs",
                "# (plasm daemon --config /etc/plasm/plasmd.toml).",
                "#",
                "# Every key is listed below with its default, commented out. To change one, remove the '# '",
                "# in front of the key (its [table] line is already there) and run: systemctl restart plasmd",
                "# The file is strict: an unknown key or a bad value stops the daemon with a message naming it",
                "# (journalctl -u plasmd). Every key is explained in /usr/share/doc/plasm/config.md.",
                "# workers.shutdown-grace must stay below the unit's TimeoutStopSec (30s; systemctl edit plasmd).",
                "#",
                "# Generated from docs/config.md when the package was built.",
                ""));
    int keys = 0;
    String table = "";
    for (String line : block) {
      String t = line.strip();
      if (t.startsWith("[")) {
        table = t.substring(1, t.indexOf(']')) + ".";
        lines.add(line);
        continue;
      }
      Matcher m = KEY_LINE.matcher(t);
      if (!m.matches()) {
        lines.add(line); // blank or prose comment
        continue;
      }
      keys++;
      String key = table + m.group(2);
      String[] set = sets.stream().filter(s -> s[0].equals(key)).findFirst().orElse(null);
      if (set != null) {
        sets.remove(set);
        lines.add(
            "# Set by the package: the state directory of plasmd.service (StateDirectory=plasm).");
        lines.add(set[1]);
      } else {
        lines.add(m.group(1) != null ? line : "# " + line);
      }
    }
    if (keys == 0) {
      fail(docs + ": the block after '" + HEADING + "' has no keys");
    }
    if (!sets.isEmpty()) {
      fail(docs + " documents no key '" + sets.get(0)[0] + "' (given with --set)");
    }
    Files.createDirectories(out.toAbsolutePath().getParent());
    Files.write(out, lines, StandardCharsets.UTF_8);
    System.out.println("ConffileFromDocs: " + out + ": " + keys + " keys from " + docs);
  }

  /** The lines of the first ```toml block after {@link #HEADING}. */
  static List<String> tomlBlock(List<String> doc, Path docs) {
    int h = doc.indexOf(HEADING);
    if (h < 0) {
      fail(docs + " has no heading '" + HEADING + "'");
    }
    int start = -1;
    for (int i = h + 1; i < doc.size(); i++) {
      if (doc.get(i).strip().equals("```toml")) {
        start = i + 1;
        break;
      }
    }
    if (start < 0) {
      fail(docs + ": no ```toml block after '" + HEADING + "'");
    }
    for (int i = start; i < doc.size(); i++) {
      if (doc.get(i).strip().equals("```")) {
        return doc.subList(start, i);
      }
    }
    fail(docs + ": the ```toml block after '" + HEADING + "' is not closed");
    return List.of();
  }

  static void fail(String message) {
    System.err.println("ConffileFromDocs: " + message);
    System.exit(1);
  }
}
