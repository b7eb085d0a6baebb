package dev.plasm.cli;

import dev.plasm.api.ConfigurationException;
import dev.plasm.host.EngineRegistry;
import dev.plasm.host.Plugins;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.function.IntConsumer;
import java.util.function.Supplier;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** The {@code plasm} command. */
public final class Main implements Runnable {

  /**
   * A command: its class and how its model is built, in code rather than annotations (start-up
   * time: see {@link Specs}); null for picocli's own annotated {@code help}, which is only in the
   * whole tree (shell, completion, help), never on a single command's start.
   */
  record Entry(Class<?> type, Supplier<CommandSpec> model) {}

  /** The commands, in the order help lists them. */
  static final List<Entry> COMMANDS =
      List.of(
          new Entry(RunCommand.class, RunCommand::spec),
          new Entry(EnginesCommand.class, EnginesCommand::spec),
          new Entry(PluginsCommand.class, PluginsCommand::spec),
          new Entry(IdentityCommand.class, IdentityCommand::spec),
          new Entry(ReceiptCommand.class, ReceiptCommand::spec),
          new Entry(DaemonCommand.class, DaemonCommand::spec),
          new Entry(SubmitCommand.class, SubmitCommand::spec),
          new Entry(JobsCommand.class, JobsCommand::spec),
          new Entry(JobCommand.class, JobCommand::spec),
          new Entry(PeersCommand.class, PeersCommand::spec),
          new Entry(DhtCommand.class, DhtCommand::spec),
          new Entry(ShellCommand.class, ShellCommand::spec),
          new Entry(CompletionCommand.class, CompletionCommand::spec),
          new Entry(CommandLine.HelpCommand.class, null));

  /** The root's model (built in code, like every command's: see {@link Specs}). */
  CommandSpec spec;

  final Streams streams;
  final IntConsumer halt;
  private EngineRegistry registry;
  private Plugins plugins;

  /**
   * @param streams the guest's streams and the environment
   * @param halt ends the process with a code when a guest cannot be stopped; tests pass their own
   */
  public Main(Streams streams, IntConsumer halt) {
    this.streams = streams;
    this.halt = halt;
  }

  public static void main(String[] args) {
    Streams streams = Streams.system();
    String training = System.getProperty("plasm.aot.training");
    if (training != null) {
      System.exit(AotTraining.run(Path.of(training), streams));
    }
    if (args.length == 0 && streams.tty().in() && streams.tty().out()) {
      // plasm alone, typed at a terminal: the shell. On a pipe it prints the usage, as before.
      args = new String[] {"shell"};
    }
    int code = commandLine(streams, c -> Runtime.getRuntime().halt(c), only(args)).execute(args);
    System.exit(code);
  }

  /**
   * The commands that may be built alone, by name: every command but those that need the whole tree
   * (shell, completion, help). {@code CommandsTests} checks the names against the models.
   */
  static final Map<String, Class<?>> ALONE =
      Map.ofEntries(
          Map.entry("run", RunCommand.class),
          Map.entry("engines", EnginesCommand.class),
          Map.entry("plugins", PluginsCommand.class),
          Map.entry("identity", IdentityCommand.class),
          Map.entry("receipt", ReceiptCommand.class),
          Map.entry("daemon", DaemonCommand.class),
          Map.entry("submit", SubmitCommand.class),
          Map.entry("jobs", JobsCommand.class),
          Map.entry("job", JobCommand.class),
          Map.entry("peers", PeersCommand.class),
          Map.entry("dht", DhtCommand.class));

  /**
   * The one command {@code args} name first, built alone (with the root's own options), or null for
   * the whole tree. Start-up time is what users feel: building all fourteen models (and picocli's
   * annotated help) would cost every command time it does not use.
   */
  static Class<?> only(String[] args) {
    if (args.length == 1 && (args[0].equals("--version") || args[0].equals("-V"))) {
      return Main.class; // the root alone: the version names no command
    }
    return args.length > 0 ? ALONE.get(args[0]) : null;
  }

  /** A ready command line: exit-code mapping, error handling, output streams. */
  public static CommandLine commandLine(Streams streams, IntConsumer halt) {
    return commandLine(streams, halt, null);
  }

  /**
   * As {@link #commandLine(Streams, IntConsumer)}; with {@code only} (one of {@link #ALONE}) that
   * command is the only one, with {@code Main.class} there is none ({@code --version}).
   */
  static CommandLine commandLine(Streams streams, IntConsumer halt, Class<?> only) {
    CommandLine cl = new CommandLine(new Main(streams, halt).rootSpec());
    for (Entry e : COMMANDS) {
      if (only == Main.class || (only != null && e.type() != only)) {
        continue;
      }
      if (e.model() != null) {
        CommandSpec s = e.model().get();
        cl.addSubcommand(s.name(), new CommandLine(s));
      } else {
        cl.addSubcommand(e.type());
      }
    }
    cl.setOut(new PrintWriter(streams.out(), true, java.nio.charset.StandardCharsets.UTF_8));
    cl.setErr(new PrintWriter(streams.err(), true, java.nio.charset.StandardCharsets.UTF_8));
    cl.setCaseInsensitiveEnumValuesAllowed(true);
    Map<String, String> codes = Specs.exitCodes(ExitCodes.HELP);
    Map<String, String> receiptCodes = Specs.exitCodes(ExitCodes.RECEIPT_HELP);
    CommandLine receipt = cl.getSubcommands().get("receipt");
    if (receipt != null) {
      receipt
          .getSubcommands()
          .get("verify")
          .getCommandSpec()
          .usageMessage()
          .exitCodeList(receiptCodes);
    }
    CommandLine run = cl.getSubcommands().get("run");
    Map<String, String> p2pCodes = Specs.exitCodes(P2pCommands.EXIT_CODES);
    CommandLine peers = cl.getSubcommands().get("peers");
    if (peers != null) {
      peers.getCommandSpec().usageMessage().exitCodeList(p2pCodes);
    }
    CommandLine dht = cl.getSubcommands().get("dht");
    if (dht != null) {
      dht.getSubcommands()
          .values()
          .forEach(sub -> sub.getCommandSpec().usageMessage().exitCodeList(p2pCodes));
    }
    // One option per limit, made from the limits themselves (dev.plasm.api.Limit).
    if (run != null) {
      run.getCommandSpec().usageMessage().exitCodeList(codes);
      LimitFlags.addTo(run.getCommandSpec(), true);
      // Everything after the module belongs to the guest, options included.
      run.setStopAtPositional(true);
    }
    CommandLine submit = cl.getSubcommands().get("submit");
    if (submit != null) {
      LimitFlags.addTo(submit.getCommandSpec(), false);
    }
    cl.setParameterExceptionHandler(
        (ex, args) -> {
          CommandLine c = ex.getCommandLine();
          return new Printer(c.getCommandSpec(), streams)
              .fail(
                  null,
                  ex.getMessage(),
                  Hints.usage(c.getCommandSpec().qualifiedName()),
                  ExitCodes.USAGE);
        });
    cl.setExecutionExceptionHandler(
        (ex, c, parseResult) -> {
          Printer p = new Printer(c.getCommandSpec(), streams);
          if (ex instanceof ConfigurationException ce) {
            return p.fail(
                null,
                ce.getMessage(),
                Hints.usage(c.getCommandSpec().qualifiedName()),
                ExitCodes.USAGE);
          }
          return p.fail(
              null,
              "internal error: " + ex,
              "this is a bug in Plasm or a plugin; please report it with the command you ran",
              ExitCodes.INTERNAL);
        });
    // A blank line between a command's one-line header and its usage, in every command's help.
    forEach(cl, c -> c.getCommandSpec().usageMessage().synopsisHeading("%nUsage: "));
    helpWidth(cl, streams);
    return cl;
  }

  private static void forEach(CommandLine cl, java.util.function.Consumer<CommandLine> action) {
    action.accept(cl);
    cl.getSubcommands().values().forEach(sub -> forEach(sub, action));
  }

  /**
   * Help wraps at the terminal's width: {@code COLUMNS} when set (the shell sets it), else picocli
   * asks the terminal, else 80 columns. Descriptions are single paragraphs, so they wrap at any width.
   */
  private static void helpWidth(CommandLine cl, Streams streams) {
    String columns = streams.env().getOrDefault("COLUMNS", "").strip();
    if (columns.matches("[0-9]{1,4}")) {
      cl.setUsageHelpWidth(Math.max(55, Math.min(Integer.parseInt(columns), 160)));
    } else if (streams.tty().out()) {
      cl.setUsageHelpAutoWidth(true);
    }
  }

  /** The root command's model: options, help texts and exit codes. */
  private CommandSpec rootSpec() {
    spec =
        Specs.command(
            this,
            "plasm",
            "Run WebAssembly (WASI preview 1) programs in a sandbox with hard limits.");
    Map<String, String> exitCodes =
        Specs.exitCodes(
            "0:success",
            "64:bad usage (unknown option, bad value)",
            "other:see 'plasm run --help'");
    spec.usageMessage()
        .description(
            "",
            "Plasm runs a WebAssembly module with no access to files or the network unless granted, under limits on memory, wall-clock time, fuel and output, on this machine (run) or on a node (daemon, submit), and signs receipts anyone can verify (receipt verify).",
            "")
        .synopsisSubcommandLabel("COMMAND")
        .exitCodeListHeading("%nExit codes:%n")
        .exitCodeList(exitCodes)
        .footer(
            "",
            "Examples:",
            "  plasm run hello.wasm -- --name world",
            "  plasm engines --json",
            "",
            "Documentation: docs/cli.md");
    // Inherited: every command takes it, and its value is the root's (one binding, shared).
    spec.addOption(
        Specs.repeatable(
                "DIR",
                Path.class,
                "Load engine plugins from DIR (repeatable). Default: the image's plugins/ and $PLASM_HOME/plugins.",
                "--plugin-dir")
            .scopeType(CommandLine.ScopeType.INHERIT)
            .build());
    return spec;
  }

  /** The plugin directories given with --plugin-dir, in order (empty: the defaults). */
  List<Path> pluginDirs() {
    return Specs.values(spec, "--plugin-dir");
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The plugin directories searched in this invocation, in order. */
  List<Path> pluginDirectories() {
    List<Path> given = pluginDirs();
    return Plugins.directories(given, PlasmPaths.home(streams.env()));
  }

  /** The plugins for this invocation, each plugin directory layered once. */
  Plugins plugins() {
    if (plugins == null) {
      plugins = Plugins.load(pluginDirectories());
    }
    return plugins;
  }

  /** The engine registry for this invocation, built once; plugins that failed are warned about. */
  EngineRegistry registry() {
    if (registry == null) {
      // Compiled modules are kept in $PLASM_HOME/cache/engines (docs/cli.md, "Files").
      registry =
          plugins()
              .engines()
              .withEngineCache(PlasmPaths.home(streams.env()).resolve("cache").resolve("engines"));
      PrintWriter err = spec.commandLine().getErr();
      for (var p : plugins().layerProblems()) {
        err.println("plasm: warning: " + p.source() + ": " + p.message());
      }
      for (var p : registry.problems()) {
        err.println("plasm: warning: " + p.source() + ": " + p.message());
      }
      err.flush();
    }
    return registry;
  }

  /** Prints the version of Plasm and of the Java runtime under it. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      return new String[] {
        "plasm " + version(),
        "Java " + Runtime.version() + " (" + System.getProperty("java.vm.name") + ")"
      };
    }
  }

  static String version() {
    Properties p = new Properties();
    try (InputStream in = Main.class.getResourceAsStream("version.properties")) {
      if (in != null) {
        p.load(in);
      }
    } catch (IOException e) {
      // The version is informational; never fail a command over it.
    }
    return p.getProperty("version", "unknown");
  }
}
