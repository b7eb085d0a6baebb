import dev.plasm.cli.Main;
import dev.plasm.cli.Streams;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import picocli.AutoComplete;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Writes the plasm(1) man page and the bash completion script from the CLI's own picocli model, so
 * both list exactly the commands and options of the plasm that is packaged.
 *
 * <p>Usage (module path: the CLI and its libraries): {@code java --module-path DIR --add-modules
 * dev.plasm.cli CliDocs.java --version V --date YYYY-MM-DD --man OUT.1 --completion OUT}
 *
 * <p>picocli's own ManPageGenerator writes AsciiDoc, which needs asciidoctor to become a man page;
 * this writes roff directly.
 */
public final class CliDocs {

  /** Environment variables the launcher and the commands read. */
  static final String[][] ENVIRONMENT = {
    {
      "PLASM_HOME",
      "Plasm's directory for a user: identity key, plugins, a personal daemon's state. Default: ~/.plasm."
    },
    {"PLASM_DAEMON", "HOST:PORT of the daemon that submit, jobs, job, peers and dht talk to."},
    {"PLASM_TOKEN", "The daemon's API token (instead of the token file in the state directory)."},
    {"PLASM_JAVA_OPTS", "Extra JVM options for plasm itself, split on white space (e.g. -Xmx2g)."},
    {"PLASM_AOT", "off starts without the runtime image's AOT cache."},
    {
      "NO_COLOR",
      "Any non-empty value turns colour off on a terminal (tables, states, errors, the status line)."
    },
  };

  static final String[][] FILES = {
    {
      "/etc/plasm/plasmd.toml",
      "The daemon's settings; every key is listed there, commented, with its default."
    },
    {
      "/var/lib/plasm",
      "The state of the plasmd service: token, identity.key (the node's identity; back it up), modules/, jobs/."
    },
    {
      "/usr/lib/plasm",
      "The runtime image: a trimmed Java runtime with Plasm and its engines. Engine plugins go in its plugins/ directory."
    },
    {
      "/usr/share/doc/plasm",
      "The documentation (install.md, cli.md, config.md, http-api.md, receipts.md, ...), NOTICE and copyright."
    },
  };

  public static void main(String[] args) throws IOException {
    String version = null, date = null;
    Path man = null, completion = null;
    for (int i = 0; i + 1 < args.length; i += 2) {
      switch (args[i]) {
        case "--version" -> version = args[i + 1];
        case "--date" -> date = args[i + 1];
        case "--man" -> man = Path.of(args[i + 1]);
        case "--completion" -> completion = Path.of(args[i + 1]);
        default -> fail("unknown argument " + args[i]);
      }
    }
    if (version == null
        || date == null
        || man == null
        || completion == null
        || args.length % 2 != 0) {
      fail("usage: CliDocs --version V --date YYYY-MM-DD --man OUT.1 --completion OUT");
    }
    Streams quiet =
        new Streams(
            new ByteArrayInputStream(new byte[0]),
            new ByteArrayOutputStream(),
            new ByteArrayOutputStream(),
            Map.of());
    CommandLine cl = Main.commandLine(quiet, code -> {});

    // The script is sourced by bash-completion, not run: no #! line (lintian:
    // bash-completion-with-hashbang).
    String script = AutoComplete.bash("plasm", cl);
    if (script.startsWith("#!")) {
      script = script.substring(script.indexOf('\n') + 1);
    }
    write(completion, script);
    write(man, new CliDocs().page(cl, version, date));
    System.out.println("CliDocs: " + man + ", " + completion);
  }

  private final StringBuilder out = new StringBuilder();

  String page(CommandLine cl, String version, String date) {
    CommandSpec root = cl.getCommandSpec();
    out.append(".\\\" Generated from the plasm command's picocli model; do not edit.\n");
    out.append(".TH PLASM 1 ")
        .append(quote(date))
        .append(' ')
        .append(quote("plasm " + version))
        .append(' ')
        .append(quote("Plasm Manual"))
        .append('\n');
    section("NAME");
    out.append("plasm \\- ").append(escape(first(root.usageMessage().header()))).append('\n');
    section("SYNOPSIS");
    synopsis(root);
    section("DESCRIPTION");
    paragraphs(root.usageMessage().description());
    para(
        "The commands are described under COMMANDS below. "
            + "Every command also prints its own help with --help.");
    section("OPTIONS");
    options(root);
    section("COMMANDS");
    for (CommandLine sub : root.subcommands().values()) {
      command(sub.getCommandSpec(), "plasm " + sub.getCommandName());
    }
    section("EXIT STATUS");
    exitCodes(root);
    para(
        "plasm run exits with the guest's exit code; traps, limits and bad modules have their own codes, "
            + "listed under plasm run above.");
    section("ENVIRONMENT");
    for (String[] e : ENVIRONMENT) {
      term("\\fB" + escape(e[0]) + "\\fR", e[1]);
    }
    section("FILES");
    for (String[] f : FILES) {
      term("\\fI" + escape(f[0]) + "\\fR", f[1]);
    }
    section("SEE ALSO");
    out.append("\\fBsystemctl\\fR(1), \\fBjournalctl\\fR(1); /usr/share/doc/plasm/install.md\n");
    return out.toString();
  }

  private void command(CommandSpec spec, String name) {
    if (spec.usageMessage().hidden()) {
      return;
    }
    out.append(".SS ").append(quote(name)).append('\n');
    String header = first(spec.usageMessage().header());
    if (!header.isEmpty()) {
      para(header);
    }
    synopsis(spec);
    paragraphs(spec.usageMessage().description());
    if (!spec.options().isEmpty() || !spec.positionalParameters().isEmpty()) {
      options(spec);
    }
    if (!spec.usageMessage().exitCodeList().isEmpty()) {
      out.append(".PP\nExit codes:\n");
      exitCodes(spec);
    }
    for (CommandLine sub : spec.subcommands().values()) {
      command(sub.getCommandSpec(), name + " " + sub.getCommandName());
    }
  }

  private void synopsis(CommandSpec spec) {
    CommandLine.Help help =
        new CommandLine.Help(spec, CommandLine.Help.defaultColorScheme(CommandLine.Help.Ansi.OFF));
    String text = help.synopsis(0).strip();
    out.append(".PP\n.nf\n");
    for (String line : wrap(text, 78, "    ")) {
      out.append(escape(line)).append('\n');
    }
    out.append(".fi\n");
  }

  private void options(CommandSpec spec) {
    for (PositionalParamSpec p : spec.positionalParameters()) {
      if (!p.hidden()) {
        term("\\fI" + escape(p.paramLabel()) + "\\fR", text(p.description()));
      }
    }
    for (OptionSpec o : spec.options()) {
      if (o.hidden()) {
        continue;
      }
      List<String> names = new ArrayList<>();
      for (String n : o.names()) {
        String label = o.typeInfo().isBoolean() ? "" : "=\\fI" + escape(o.paramLabel()) + "\\fR";
        names.add("\\fB" + escape(n) + "\\fR" + label);
      }
      String desc = text(o.description());
      term(String.join(", ", names), desc.isEmpty() ? "(no description)" : desc);
    }
  }

  private void exitCodes(CommandSpec spec) {
    for (Map.Entry<String, String> e : spec.usageMessage().exitCodeList().entrySet()) {
      term("\\fB" + escape(e.getKey().strip()) + "\\fR", e.getValue().strip());
    }
  }

  private void section(String name) {
    out.append(".SH ").append(name).append('\n');
  }

  private void term(String tag, String text) {
    out.append(".TP\n").append(tag).append('\n').append(escape(text)).append('\n');
  }

  private void para(String text) {
    out.append(".PP\n").append(escape(text)).append('\n');
  }

  /** picocli description lines: blank ones separate paragraphs, the others run together. */
  private void paragraphs(String[] lines) {
    StringBuilder p = new StringBuilder();
    for (String raw : lines) {
      String line = format(raw).strip();
      if (line.isEmpty()) {
        if (!p.isEmpty()) {
          para(p.toString());
          p.setLength(0);
        }
      } else {
        p.append(p.isEmpty() ? "" : " ").append(line);
      }
    }
    if (!p.isEmpty()) {
      para(p.toString());
    }
  }

  private static String text(String[] lines) {
    List<String> parts = new ArrayList<>();
    for (String l : lines) {
      parts.add(format(l).strip());
    }
    return String.join(" ", parts).strip();
  }

  /** picocli runs descriptions through String.format: %n is a line break, %% a percent sign. */
  private static String format(String s) {
    return s.replace("%n", " ").replace("%%", "%");
  }

  private static String first(String[] lines) {
    return lines.length == 0 ? "" : format(lines[0]).strip();
  }

  /** roff: backslashes, dashes (minus signs in options), and lines starting with a control character. */
  static String escape(String s) {
    String e = s.replace("\\", "\\e").replace("-", "\\-");
    StringBuilder b = new StringBuilder();
    for (String line : e.split("\n", -1)) {
      if (!b.isEmpty()) {
        b.append('\n');
      }
      b.append(line.startsWith(".") || line.startsWith("'") ? "\\&" : "").append(line);
    }
    return b.toString();
  }

  private static String quote(String s) {
    return "\"" + s.replace("\"", "") + "\"";
  }

  /** Wraps a synopsis at spaces (keeps [ ... ] groups' own spacing), continuation lines indented. */
  static List<String> wrap(String text, int width, String indent) {
    List<String> lines = new ArrayList<>();
    StringBuilder line = new StringBuilder();
    for (String word : text.replaceAll("\\s+", " ").split(" ")) {
      if (line.length() > 0 && line.length() + 1 + word.length() > width) {
        lines.add(line.toString());
        line.setLength(0);
        line.append(indent);
      }
      if (line.length() > 0 && !line.toString().equals(indent)) {
        line.append(' ');
      }
      line.append(word);
    }
    if (line.length() > 0) {
      lines.add(line.toString());
    }
    return lines;
  }

  static void write(Path file, String text) throws IOException {
    Files.createDirectories(file.toAbsolutePath().getParent());
    Files.writeString(file, text, StandardCharsets.UTF_8);
  }

  static void fail(String message) {
    System.err.println("CliDocs: " + message);
    System.exit(1);
  }
}
