package dev.plasm.cli.shell;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import org.jline.reader.Candidate;
import org.jline.reader.Completer;
import org.jline.reader.LineReader;
import org.jline.reader.ParsedLine;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Completes plasm command lines from the commands' own picocli model: commands, options (with
 * their descriptions), option values and positionals. Values come from what the option or
 * parameter is: engine ids, placements, job and peer ids from the daemon, {@code .wasm} files where
 * a module goes, files and directories where paths go.
 */
final class PlasmCompleter implements Completer {
  private final Host host;

  /** The command tree, built in the background when the shell starts (the first Tab waits for it). */
  private final CompletableFuture<CommandSpec> tree;

  PlasmCompleter(Host host) {
    this.host = host;
    this.tree = new CompletableFuture<>();
    Thread.ofVirtual()
        .start(
            () -> {
              try {
                tree.complete(host.commands().getCommandSpec());
              } catch (RuntimeException | Error e) {
                tree.completeExceptionally(e);
              }
            });
  }

  @Override
  public void complete(LineReader reader, ParsedLine line, List<Candidate> candidates) {
    CommandSpec root = tree.join();
    List<String> words = line.words();
    int current = line.wordIndex();
    String word = line.word().substring(0, Math.min(line.wordCursor(), line.word().length()));
    CommandSpec spec = root;
    int positionals = 0;
    boolean afterDashes = false;
    for (int i = 0; i < current; i++) {
      String w = words.get(i);
      if (afterDashes) {
        positionals++;
        continue;
      }
      if (w.equals("--")) {
        afterDashes = true;
        continue;
      }
      CommandLine sub = positionals == 0 ? spec.subcommands().get(w) : null;
      if (sub != null) {
        spec = sub.getCommandSpec();
        continue;
      }
      OptionSpec o =
          w.startsWith("-")
              ? spec.findOption(w.contains("=") ? w.substring(0, w.indexOf('=')) : w)
              : null;
      if (o != null) {
        if (!w.contains("=") && o.arity().max() > 0) {
          if (i + 1 == current) {
            values(spec, o, word, "", candidates);
            return;
          }
          i++; // its value
        }
        continue;
      }
      positionals++;
    }
    if (afterDashes) {
      return; // the guest's own arguments
    }
    if (word.startsWith("-")) {
      int eq = word.indexOf('=');
      OptionSpec o = eq > 0 ? spec.findOption(word.substring(0, eq)) : null;
      if (o != null) {
        values(spec, o, word.substring(eq + 1), word.substring(0, eq + 1), candidates);
        return;
      }
      for (OptionSpec opt : spec.options()) {
        if (opt.hidden()) {
          continue;
        }
        for (String name : opt.names()) {
          candidates.add(
              new Candidate(
                  name, name, "options", firstSentence(opt.description()), null, null, true));
        }
      }
      return;
    }
    if (positionals == 0 && !spec.subcommands().isEmpty()) {
      for (var e : spec.subcommands().entrySet()) {
        CommandSpec s = e.getValue().getCommandSpec();
        if (!s.usageMessage().hidden() && !(spec == root && e.getKey().equals("shell"))) {
          candidates.add(
              new Candidate(
                  e.getKey(),
                  e.getKey(),
                  "commands",
                  first(s.usageMessage().header()),
                  null,
                  null,
                  true));
        }
      }
      if (spec == root) {
        Shell.BUILTINS.forEach(
            b ->
                candidates.add(
                    new Candidate(b, b, "commands", "leave the shell", null, null, true)));
      }
      if (!spec.positionalParameters().isEmpty()) {
        positional(root, spec, 0, word, candidates);
      }
      return;
    }
    positional(root, spec, positionals, word, candidates);
  }

  /** Candidates for the value of option {@code o} of {@code spec}; {@code prefix} is "--opt=" when joined. */
  private void values(
      CommandSpec spec, OptionSpec o, String word, String prefix, List<Candidate> out) {
    String name = o.longestName();
    List<String> fixed =
        switch (name) {
          case "--engine" -> withAuto(host.engines(spec.name()));
          case "--placement" -> concat(List.of("any", "local", "remote"), host.peerIds());
          case "--verify" -> List.of("receipt", "reexecute");
          case "--log-format" -> List.of("text", "json");
          case "--trust" -> host.peerIds();
          case "--before", "--job-id" -> host.jobIds();
          default -> null;
        };
    if (fixed == null && o.completionCandidates() != null) {
      fixed = new ArrayList<>();
      o.completionCandidates().forEach(fixed::add);
    }
    if (fixed != null) {
      fixed.forEach(v -> out.add(new Candidate(prefix + v, v, null, null, null, null, true)));
      return;
    }
    String label = o.paramLabel() == null ? "" : o.paramLabel();
    if (name.equals("--dir") || name.equals("--dir-ro") || label.equals("DIR")) {
      paths(word, prefix, true, null, out);
    } else if (label.contains("FILE") || Path.class.equals(o.type())) {
      paths(word, prefix, false, null, out);
    }
  }

  /** Candidates for positional number {@code index} of {@code spec}, by what its label says it is. */
  private void positional(
      CommandSpec root, CommandSpec spec, int index, String word, List<Candidate> out) {
    for (PositionalParamSpec p : spec.positionalParameters()) {
      if (!p.index().contains(index)) {
        continue;
      }
      String label = p.paramLabel() == null ? "" : p.paramLabel();
      switch (label) {
        case "MODULE.wasm" -> paths(word, "", false, ".wasm", out);
        case "RECEIPT.json" -> paths(word, "", false, ".json", out);
        case "ID" -> host.jobIds().forEach(id -> out.add(new Candidate(id)));
        case "PEER_ID" -> host.peerIds().forEach(id -> out.add(new Candidate(id)));
        case "COMMAND" -> root.subcommands().keySet().forEach(c -> out.add(new Candidate(c)));
        case "KEY" -> out.add(new Candidate("/plasm/", "/plasm/", null, null, null, null, false));
        default -> {
          if (p.completionCandidates() != null) {
            p.completionCandidates().forEach(v -> out.add(new Candidate(v)));
          } else if (label.contains("FILE") || Path.class.equals(p.type())) {
            paths(word, "", false, null, out);
          }
        }
      }
      return;
    }
  }

  /**
   * Entries of the directory {@code word} points into: sub-directories (to go on into) and, unless
   * {@code dirsOnly}, files ending in {@code extension} (any file when null). Hidden entries only
   * when the word's last part starts with a dot.
   */
  static void paths(
      String word, String prefix, boolean dirsOnly, String extension, List<Candidate> out) {
    String expanded =
        word.startsWith("~/") ? System.getProperty("user.home") + word.substring(1) : word;
    int slash = expanded.lastIndexOf('/');
    String dirPart = slash < 0 ? "" : expanded.substring(0, slash + 1);
    String namePart = slash < 0 ? expanded : expanded.substring(slash + 1);
    String shownDir = slash < 0 ? "" : word.substring(0, word.lastIndexOf('/') + 1);
    Path dir = Path.of(dirPart.isEmpty() ? "." : dirPart);
    List<Candidate> found = new ArrayList<>();
    try (DirectoryStream<Path> entries = Files.newDirectoryStream(dir)) {
      for (Path e : entries) {
        String name = e.getFileName().toString();
        if (!name.startsWith(namePart) || name.startsWith(".") && !namePart.startsWith(".")) {
          continue;
        }
        if (Files.isDirectory(e)) {
          found.add(
              new Candidate(
                  prefix + shownDir + name + "/", name + "/", null, null, null, null, false));
        } else if (!dirsOnly
            && (extension == null || name.toLowerCase(Locale.ROOT).endsWith(extension))) {
          found.add(new Candidate(prefix + shownDir + name, name, null, null, null, null, true));
        }
      }
    } catch (IOException | RuntimeException e) {
      return; // not a directory, or not readable: nothing to offer
    }
    out.addAll(found);
  }

  private static List<String> withAuto(List<String> engines) {
    return concat(List.of("auto"), engines);
  }

  private static List<String> concat(List<String> a, List<String> b) {
    List<String> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  private static String first(String[] lines) {
    return lines == null || lines.length == 0 ? null : lines[0];
  }

  /** The first sentence of a description, short enough for a completion list. */
  private static String firstSentence(String[] description) {
    String d = first(description);
    if (d == null) {
      return null;
    }
    int dot = d.indexOf(". ");
    d = dot > 0 ? d.substring(0, dot) : d;
    return d.length() > 60 ? d.substring(0, 59) + "…" : d;
  }
}
