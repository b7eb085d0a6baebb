package dev.plasm.cli;

import dev.plasm.cli.shell.Host;
import dev.plasm.cli.shell.Shell;
import dev.plasm.cli.term.Style;
import dev.plasm.cli.term.Tty;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import picocli.CommandLine;
import tools.jackson.databind.JsonNode;

/** Connects {@code plasm shell} to the commands: runs them, and answers completion's questions. */
final class ShellHost implements Host {
  /** The longest a completion or the prompt waits for the daemon. */
  private static final Duration ASK = Duration.ofMillis(800);

  /** How long an answer from the daemon is reused (Tab pressed twice asks once). */
  private static final long FRESH_MILLIS = 3000;

  /** Commands that run as their own process: they own it (a runaway guest ends it; a daemon runs until stopped). */
  private static final Set<String> OWN_PROCESS = Set.of("run", "daemon");

  private final Main main;
  private final CommandLine.Model.CommandSpec spec;
  private final DaemonClient.Options client;
  private final Map<String, Cached> cache = new ConcurrentHashMap<>();
  private volatile Thread running;
  private volatile Process child;

  private record Cached(long at, Object value) {}

  ShellHost(Main main, CommandLine.Model.CommandSpec spec, DaemonClient.Options client) {
    this.main = main;
    this.spec = spec;
    this.client = client;
  }

  int run() {
    if (!main.streams.tty().in() || !main.streams.tty().out()) {
      return new Printer(spec, main.streams)
          .fail(
              "shell",
              "the shell needs a terminal (stdin and stdout)",
              "run commands directly, e.g. 'plasm jobs'",
              ExitCodes.USAGE);
    }
    Interrupts.inShell(true);
    try {
      return Shell.run(this);
    } catch (IOException e) {
      return new Printer(spec, main.streams)
          .fail("shell", "cannot use the terminal: " + e.getMessage(), null, ExitCodes.INTERNAL);
    } finally {
      Interrupts.inShell(false);
    }
  }

  @Override
  public CommandLine commands() {
    Streams quiet =
        new Streams(
            InputStream.nullInputStream(),
            new ByteArrayOutputStream(),
            new ByteArrayOutputStream(),
            Map.of());
    return Main.commandLine(quiet, code -> {});
  }

  @Override
  public int execute(List<String> words, int columns) {
    String command = commandOf(words);
    if (OWN_PROCESS.contains(command)) {
      return executeAsProcess(words);
    }
    Map<String, String> env = new HashMap<>(main.streams.env());
    env.put("COLUMNS", Integer.toString(columns));
    // Commands in the shell read no input: the terminal belongs to the shell.
    Streams streams =
        new Streams(
            new ByteArrayInputStream(new byte[0]),
            main.streams.out(),
            main.streams.err(),
            env,
            new Tty(false, main.streams.tty().out(), main.streams.tty().err()));
    CommandLine cl =
        Main.commandLine(
            streams,
            code -> {
              throw new IllegalStateException("a runaway guest in the shell's own process");
            });
    // The shell's --daemon, --config and --token-file are every command's defaults.
    cl.setDefaultValueProvider(
        arg ->
            arg instanceof CommandLine.Model.OptionSpec o
                ? switch (o.longestName()) {
                  case "--daemon" -> client.address;
                  case "--config" -> client.config == null ? null : client.config.toString();
                  case "--token-file" ->
                      client.tokenFile == null ? null : client.tokenFile.toString();
                  default -> null;
                }
                : null);
    running = Thread.currentThread();
    try {
      return cl.execute(words.toArray(String[]::new));
    } finally {
      running = null;
    }
  }

  /**
   * {@code run} and {@code daemon} as a child process on the same terminal: Ctrl-C reaches it
   * directly (same process group), and a guest that cannot be stopped ends the child, not the shell.
   */
  private int executeAsProcess(List<String> words) {
    List<String> cmd = new ArrayList<>(launcher());
    for (String w : words) {
      cmd.add(w);
    }
    // The child has the terminal, stdin included: its guest can read it, and its status line needs
    // it.
    ProcessBuilder pb = new ProcessBuilder(cmd).inheritIO();
    if (client.address != null) {
      pb.environment().put("PLASM_DAEMON", client.address);
    }
    try {
      child = pb.start();
      return child.waitFor();
    } catch (IOException e) {
      return new Printer(spec, main.streams)
          .fail(
              "shell",
              "cannot start " + cmd.getFirst() + ": " + e.getMessage(),
              null,
              ExitCodes.INTERNAL);
    } catch (InterruptedException e) {
      child.destroyForcibly();
      return ExitCodes.CANCELLED;
    } finally {
      child = null;
    }
  }

  /** How to start plasm again: the image's launcher, else this JVM with this module or class path. */
  static List<String> launcher() {
    String image = System.getProperty("plasm.image");
    if (image != null && Files.isExecutable(Path.of(image, "bin", "plasm"))) {
      return List.of(Path.of(image, "bin", "plasm").toString());
    }
    List<String> cmd = new ArrayList<>();
    cmd.add(
        ProcessHandle.current()
            .info()
            .command()
            .orElse(Path.of(System.getProperty("java.home"), "bin", "java").toString()));
    String modulePath = System.getProperty("jdk.module.path", "");
    String classPath = System.getProperty("java.class.path", "");
    if (Main.class.getModule().isNamed()) {
      cmd.add("--enable-native-access=org.jline.terminal.ffm");
      cmd.addAll(List.of("--module-path", modulePath));
      if (!classPath.isBlank()) {
        cmd.addAll(List.of("-cp", classPath));
      }
      cmd.addAll(
          List.of(
              "--add-modules",
              "ALL-MODULE-PATH",
              "-m",
              Main.class.getModule().getName() + "/" + Main.class.getName()));
    } else {
      cmd.add("--enable-native-access=ALL-UNNAMED");
      cmd.addAll(
          List.of(
              "-cp",
              classPath + (modulePath.isBlank() ? "" : File.pathSeparator + modulePath),
              Main.class.getName()));
    }
    return cmd;
  }

  /** The command a line runs: its first word that is not a global option. */
  private static String commandOf(List<String> words) {
    for (int i = 0; i < words.size(); i++) {
      String w = words.get(i);
      if (w.equals("--plugin-dir")) {
        i++;
      } else if (!w.startsWith("--plugin-dir=")) {
        return w;
      }
    }
    return "";
  }

  @Override
  public void interrupt() {
    Process p = child;
    if (p != null) {
      // The child had the same SIGINT from the terminal and ends itself; make sure it does.
      Thread.ofVirtual()
          .start(
              () -> {
                try {
                  if (!p.waitFor(5, TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                  }
                } catch (InterruptedException e) {
                  p.destroyForcibly();
                }
              });
      return;
    }
    Thread t = running;
    if (t != null) {
      Interrupts.interrupt();
      t.interrupt();
      // A command blocked reading the daemon's answer: its socket is not interruptible.
      DaemonHttp.abortAll();
    }
  }

  @Override
  public List<String> engines(String command) {
    if (command.equals("submit")) {
      return fromDaemon("engines", "/v1/node", j -> ids(j.path("engines"), "id"));
    }
    return EnginesCommand.ids(main.registry());
  }

  @Override
  public List<String> jobIds() {
    return fromDaemon("jobs", "/v1/jobs?limit=50", j -> ids(j.path("jobs"), "id"));
  }

  @Override
  public List<String> peerIds() {
    return fromDaemon("peers", "/v1/peers", j -> ids(j.path("peers"), "peerId"));
  }

  @Override
  public String daemon() {
    try {
      return new DaemonClient(client, main.streams.env()).address().replaceFirst("^http://", "");
    } catch (RuntimeException e) {
      return "no daemon";
    }
  }

  @Override
  public boolean daemonUp() {
    return fresh(
        "up",
        () -> {
          try {
            DaemonClient c = new DaemonClient(client, main.streams.env());
            c.request("/healthz").timeout(ASK).send();
            return true;
          } catch (RuntimeException e) {
            return false;
          }
        });
  }

  @Override
  public Path history() {
    return PlasmPaths.home(main.streams.env()).resolve("shell_history");
  }

  @Override
  public String version() {
    return Main.version();
  }

  @Override
  public boolean colour() {
    return Style.allowed(main.streams.env());
  }

  private List<String> fromDaemon(
      String key, String path, java.util.function.Function<JsonNode, List<String>> read) {
    return fresh(
        key,
        () -> {
          try {
            DaemonClient c = new DaemonClient(client, main.streams.env());
            return read.apply(DaemonClient.JSON.readTree(c.request(path).timeout(ASK).send()));
          } catch (RuntimeException e) {
            return List.of(); // no daemon, no p2p, no token: nothing to offer
          }
        });
  }

  /** The cached answer for {@code key}, asked again when stale; callers at once wait for one question. */
  @SuppressWarnings("unchecked")
  private <T> T fresh(String key, Supplier<T> ask) {
    return (T)
        cache
            .compute(
                key,
                (k, c) ->
                    c != null && System.currentTimeMillis() - c.at() <= FRESH_MILLIS
                        ? c
                        : new Cached(System.currentTimeMillis(), ask.get()))
            .value();
  }

  private static List<String> ids(JsonNode array, String field) {
    List<String> out = new ArrayList<>();
    array.forEach(n -> out.add(n.path(field).asString("")));
    out.removeIf(String::isEmpty);
    return out;
  }
}
