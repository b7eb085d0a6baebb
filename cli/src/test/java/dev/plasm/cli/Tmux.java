package dev.plasm.cli;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;

/**
 * A real pseudo-terminal for tests: a private tmux server (its own socket in a temporary directory)
 * running one command in a window of a fixed size. Tests type with {@link #type} and {@link #keys}
 * and read the screen as a person sees it with {@link #screen}.
 */
final class Tmux implements AutoCloseable {
  /** How long a screen may take to show what a test waits for on a loaded 2-core machine. */
  static final Duration PATIENCE = Duration.ofSeconds(60);

  private final Path dir;
  private final Path socket;

  private Tmux(Path dir) {
    this.dir = dir;
    this.socket = dir.resolve("tmux.sock");
  }

  /**
   * Starts {@code command} in a {@code columns} x {@code rows} window, in {@code workDir}, with
   * {@code env} added to the environment.
   */
  static Tmux start(Path dir, Path workDir, Map<String, String> env, int columns, int rows, List<String> command)
      throws IOException, InterruptedException {
    Files.createDirectories(dir);
    Path script = dir.resolve("run.sh");
    StringBuilder sh = new StringBuilder("#!/bin/sh\ncd " + quote(workDir.toString()) + " || exit 1\n");
    // The tests' own JVM options must not reach the programs on the terminal.
    sh.append("unset JAVA_TOOL_OPTIONS JDK_JAVA_OPTIONS PLASM_JAVA_OPTS NO_COLOR COLUMNS LINES\n");
    for (var e : env.entrySet()) {
      sh.append("export ").append(e.getKey()).append('=').append(quote(e.getValue())).append('\n');
    }
    List<String> quoted = new ArrayList<>();
    command.forEach(c -> quoted.add(quote(c)));
    // Keep the window open after the command ends, so its last screen can be read.
    sh.append(String.join(" ", quoted)).append("\necho \"[exited $?]\"\nexec sleep 600\n");
    Files.writeString(script, sh.toString());
    Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
    Tmux t = new Tmux(dir);
    t.tmux("-f", "/dev/null", "new-session", "-d", "-x", Integer.toString(columns), "-y", Integer.toString(rows), "-s", "t",
        script.toString());
    return t;
  }

  /** Types {@code text} literally (no key names). */
  Tmux type(String text) throws IOException, InterruptedException {
    tmux("send-keys", "-t", "t", "-l", text);
    return this;
  }

  /** Presses keys by tmux's names: {@code Enter}, {@code Tab}, {@code C-c}, {@code C-d}, {@code Up}. */
  Tmux keys(String... keys) throws IOException, InterruptedException {
    List<String> args = new ArrayList<>(List.of("send-keys", "-t", "t"));
    args.addAll(List.of(keys));
    tmux(args.toArray(String[]::new));
    return this;
  }

  /** The screen as it is now, one string with a line per row (trailing blanks removed). */
  String screen() throws IOException, InterruptedException {
    return tmux("capture-pane", "-p", "-t", "t");
  }

  /** Waits until the screen satisfies {@code test}; fails with the screen when it does not in time. */
  String await(String what, Predicate<String> test) throws IOException, InterruptedException {
    long end = System.nanoTime() + PATIENCE.toNanos();
    String s = screen();
    while (!test.test(s)) {
      if (System.nanoTime() > end) {
        throw new AssertionError("the screen never showed " + what + "; it shows:\n" + s);
      }
      Thread.sleep(100);
      s = screen();
    }
    return s;
  }

  /** Waits until the screen contains {@code text}. */
  String await(String text) throws IOException, InterruptedException {
    return await("'" + text + "'", s -> s.contains(text));
  }

  /** The last line of the screen that is not blank (the cursor's line, usually). */
  static String lastLine(String screen) {
    String[] lines = screen.stripTrailing().split("\n");
    return lines[lines.length - 1];
  }

  @Override
  public void close() throws IOException, InterruptedException {
    try {
      tmux("kill-server");
    } catch (IOException | AssertionError e) {
      // Already gone.
    }
    Files.deleteIfExists(socket);
  }

  private String tmux(String... args) throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>(List.of("tmux", "-S", socket.toString()));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null"))).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("tmux " + String.join(" ", args) + " hung");
    }
    if (p.exitValue() != 0) {
      throw new IOException("tmux " + String.join(" ", args) + ": exit " + p.exitValue() + ": " + out);
    }
    return out;
  }

  private static String quote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  /** {@code java ... dev.plasm.cli.Main ARGS} from the tests' module and class path, as the shell runs plasm. */
  static List<String> plasm(String... args) {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String cp = System.getProperty("jdk.module.path", "") + File.pathSeparator + System.getProperty("java.class.path");
    List<String> cmd = new ArrayList<>(List.of(java, "-Xmx512m", "-XX:TieredStopAtLevel=1", "--enable-native-access=ALL-UNNAMED",
        "-cp", cp, "dev.plasm.cli.Main"));
    cmd.addAll(List.of(args));
    return cmd;
  }
}
