package dev.plasm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import picocli.CommandLine;
import picocli.CommandLine.Model.ArgSpec;

/**
 * Help texts: every option and parameter of every command says what it is for, and help wraps
 * cleanly at any width: descriptions are whole paragraphs that picocli wraps, never lines broken by
 * hand (which, at another width, leave a short line in the middle of a sentence).
 */
class HelpTextTests {

  static CommandLine tree() {
    Streams s =
        new Streams(
            new ByteArrayInputStream(new byte[0]),
            new ByteArrayOutputStream(),
            new ByteArrayOutputStream(),
            Map.of());
    return Main.commandLine(s, c -> {});
  }

  static List<CommandLine> all(CommandLine cl) {
    List<CommandLine> out = new ArrayList<>();
    out.add(cl);
    for (CommandLine sub : cl.getSubcommands().values()) {
      out.addAll(all(sub));
    }
    return out;
  }

  @Test
  void everyOptionAndParameterOfEveryCommandHasADescription() {
    List<String> missing = new ArrayList<>();
    List<CommandLine> commands = all(tree());
    for (CommandLine cl : commands) {
      List<ArgSpec> args = new ArrayList<>(cl.getCommandSpec().options());
      args.addAll(cl.getCommandSpec().positionalParameters());
      for (ArgSpec a : args) {
        String d = String.join(" ", a.description()).strip();
        if (d.isEmpty()) {
          missing.add(
              cl.getCommandSpec().qualifiedName()
                  + " "
                  + (a.isOption()
                      ? ((CommandLine.Model.OptionSpec) a).longestName()
                      : a.paramLabel()));
        }
      }
      if (String.join("", cl.getCommandSpec().usageMessage().header()).isBlank()) {
        missing.add(cl.getCommandSpec().qualifiedName() + " (its header)");
      }
    }
    assertEquals(List.of(), missing, "options, parameters and commands without a description");
    // All commands were looked at, the limit flags of run and submit included.
    assertEquals(true, commands.size() > 25, "commands: " + commands.size());
  }

  @ParameterizedTest
  @ValueSource(ints = {80, 120})
  void noHelpLineIsBrokenInTheMiddleOfASentence(int width) {
    List<String> broken = new ArrayList<>();
    CommandLine root = tree();
    root.setUsageHelpWidth(width);
    for (CommandLine cl : all(root)) {
      broken.addAll(earlyBreaks(cl.getCommandSpec().qualifiedName(), cl.getUsageMessage(), width));
    }
    assertEquals(
        List.of(),
        broken,
        "lines broken before the width (" + width + ") in the middle of a sentence");
  }

  /**
   * Lines that end early inside a paragraph: the next line continues the same text (at the same
   * column), its first word would have fitted, and the line does not end a sentence. The synopsis
   * and examples are lists of lines and are not checked; neither are rows of a table (options, exit
   * codes, commands), only the lines that continue a row's description.
   */
  static List<String> earlyBreaks(String command, String help, int width) {
    List<String> found = new ArrayList<>();
    String[] lines = help.split("\n", -1);
    boolean list = false;
    for (int i = 0; i + 1 < lines.length; i++) {
      String l1 = lines[i];
      String l2 = lines[i + 1];
      if (l1.isBlank()) {
        list = false;
        continue;
      }
      if (l1.startsWith("Usage:") || l1.matches("Examples?:")) {
        list = true;
      }
      if (list || l2.isBlank()) {
        continue;
      }
      int i1 = indent(l1);
      int i2 = indent(l2);
      // picocli indents the wrapped lines of an option's description by two more columns.
      boolean continues =
          i2 == i1 ? i1 == 0 : i2 > i1 && (startsText(l1, i2) || startsText(l1, i2 - 2));
      if (!continues) {
        continue;
      }
      String next = l2.strip().split(" ", 2)[0];
      String end = l1.stripTrailing();
      // picocli fills lines up to width - 1 columns.
      if (end.length() + 1 + next.length() < width && !end.matches(".*[.:!?]")) {
        found.add(command + ":\n  " + l1 + "\n  " + l2);
      }
    }
    return found;
  }

  /** Whether a word of {@code line} starts at {@code column}. */
  private static boolean startsText(String line, int column) {
    return column > 0
        && column < line.length()
        && line.charAt(column) != ' '
        && line.charAt(column - 1) == ' ';
  }

  private static int indent(String s) {
    int n = 0;
    while (n < s.length() && s.charAt(n) == ' ') {
      n++;
    }
    return n;
  }
}
