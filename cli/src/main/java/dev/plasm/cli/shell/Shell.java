package dev.plasm.cli.shell;

import dev.plasm.cli.term.Style;
import dev.plasm.cli.term.Terminals;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jline.reader.EndOfFileException;
import org.jline.reader.LineReader;
import org.jline.reader.LineReaderBuilder;
import org.jline.reader.UserInterruptException;
import org.jline.reader.impl.DefaultParser;
import org.jline.terminal.Terminal;
import org.jline.terminal.TerminalBuilder;

/**
 * {@code plasm shell}: a jline line reader over the plasm commands. Ctrl-C at the prompt clears the
 * line and while a command runs stops that command; Ctrl-D on an empty line, {@code exit} or {@code
 * quit} leave. History persists across sessions.
 */
public final class Shell {
  /** Words that the shell handles itself. */
  static final List<String> BUILTINS = List.of("exit", "quit");

  private final Host host;
  private final Terminal terminal;
  private final Style style;
  private int lastExit;

  private Shell(Host host, Terminal terminal) {
    this.host = host;
    this.terminal = terminal;
    this.style = Style.of(Map.of(), host.colour());
  }

  /** Runs the shell on this process's terminal until the user leaves; returns the exit code. */
  public static int run(Host host) throws IOException {
    // The first question to the daemon (the prompt's) sets up the HTTP client, which takes a while
    // on a cold JVM: ask it while the terminal and the line reader are being built.
    Thread.ofVirtual().start(host::daemonUp);
    // The FFM provider only: jline's other providers would load (and unpack) a native library.
    Terminal terminal =
        TerminalBuilder.builder().system(true).provider("ffm").dumb(false).name("plasm").build();
    try {
      return new Shell(host, terminal).loop();
    } finally {
      terminal.close();
    }
  }

  private int loop() throws IOException {
    Files.createDirectories(host.history().toAbsolutePath().getParent());
    LineReader reader =
        LineReaderBuilder.builder()
            .terminal(terminal)
            .appName("plasm")
            .parser(new DefaultParser())
            .completer(new PlasmCompleter(host))
            .variable(LineReader.HISTORY_FILE, host.history())
            .variable(LineReader.HISTORY_SIZE, 1000)
            .variable(LineReader.HISTORY_FILE_SIZE, 5000)
            // '!' is an ordinary character in ids, keys and guest arguments, not a history
            // expansion.
            .option(LineReader.Option.DISABLE_EVENT_EXPANSION, true)
            .option(LineReader.Option.HISTORY_IGNORE_DUPS, true)
            // Every command's options fit on a screen: list them without asking first.
            .variable(LineReader.LIST_MAX, 200)
            .build();
    Terminals.share(terminal);
    // Ctrl-C while a command runs; during readLine jline turns it into UserInterruptException.
    terminal.handle(Terminal.Signal.INT, signal -> host.interrupt());
    PrintWriter w = terminal.writer();
    w.println(
        style.dim(
            "plasm "
                + host.version()
                + " shell: Tab completes, 'help' lists the commands, Ctrl-D leaves."));
    w.flush();
    try {
      while (true) {
        String line;
        try {
          line = reader.readLine(prompt());
        } catch (UserInterruptException e) {
          continue;
        } catch (EndOfFileException e) {
          return 0;
        }
        List<String> words = words(reader, line);
        if (words.isEmpty()) {
          continue;
        }
        if (BUILTINS.contains(words.getFirst())) {
          return 0;
        }
        reader.getHistory().save();
        if (words.getFirst().equals("shell")) {
          w.println("plasm: already in the shell");
          w.flush();
          continue;
        }
        terminal.flush();
        lastExit = host.execute(words, terminal.getWidth());
        Thread.interrupted(); // a Ctrl-C that arrived as the command ended must not reach the next
        // one
      }
    } finally {
      reader.getHistory().save();
      Terminals.share(null);
    }
  }

  /** {@code plasm [127.0.0.1:8080 up] ›}, with the last command's exit code when it failed. */
  private String prompt() {
    boolean up = host.daemonUp();
    String exit = lastExit == 0 ? "" : " " + style.red("exit " + lastExit);
    return style.bold("plasm")
        + " ["
        + host.daemon()
        + " "
        + (up ? style.green("up") : style.red("down"))
        + "]"
        + exit
        + " › ";
  }

  /** The words of the line as the parser split them (quotes and escapes removed). */
  private static List<String> words(LineReader reader, String line) {
    List<String> words = new ArrayList<>(reader.getParsedLine().words());
    // The parser gives an empty last word for a line that ends in a space.
    if (!words.isEmpty()
        && words.getLast().isEmpty()
        && !line.stripTrailing().endsWith("''")
        && !line.stripTrailing().endsWith("\"\"")) {
      words.removeLast();
    }
    return words;
  }
}
