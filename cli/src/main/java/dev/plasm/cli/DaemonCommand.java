package dev.plasm.cli;

import dev.plasm.daemon.Daemon;
import dev.plasm.daemon.DaemonConfig;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code plasm daemon}: runs a node (HTTP API, job store, worker processes) until SIGTERM. */
@Command(
    name = "daemon",
    header = "Run a Plasm node: the HTTP API, the job queue and worker processes.",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "",
      "Serves the HTTP API (docs/http-api.md) on 127.0.0.1:8080 by default, with a bearer token created at first start in the state directory (file 'token', mode 0600). Settings come from --config, else /etc/plasm/plasmd.toml when it exists, else the defaults (docs/config.md). Logs go to stderr. SIGTERM stops it gracefully: running jobs are killed and recorded as interrupted.",
      ""
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:stopped by SIGTERM or SIGINT",
      "64:bad configuration or flag (the message names the key)",
      "74:the state directory cannot be used"
    },
    footer = {
      "",
      "Examples:",
      "  plasm daemon",
      "  plasm daemon --config /etc/plasm/plasmd.toml --log-format json",
      "  plasm daemon --listen 127.0.0.1:0 --state-dir /tmp/plasm-node"
    })
final class DaemonCommand implements Callable<Integer> {
  @CommandLine.ParentCommand Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--config",
      paramLabel = "FILE",
      description = "The TOML configuration. Default: /etc/plasm/plasmd.toml if it exists.")
  Path config;

  @Option(
      names = "--listen",
      paramLabel = "HOST:PORT",
      description = "Address of the HTTP API (overrides api.listen); port 0 picks a free one.")
  String listen;

  @Option(
      names = "--state-dir",
      paramLabel = "DIR",
      description = "State directory (overrides state-dir). Default: $PLASM_HOME, else ~/.plasm.")
  Path stateDir;

  @Option(
      names = "--log-format",
      paramLabel = "FORMAT",
      description = "How log lines are written: text or json (overrides log.format).")
  String logFormat;

  @Option(
      names = "--p2p",
      description =
          "Start the peer-to-peer node (overrides p2p.enabled; the other [p2p] keys still apply).")
  boolean p2p;

  @Override
  public Integer call() throws InterruptedException {
    DaemonConfig c = DaemonConfig.load(config).withOverrides(listen, stateDir, logFormat);
    if (p2p) {
      c = c.withP2pEnabled(true);
    }
    if (!main.pluginDirs().isEmpty() && c.pluginDirs().isEmpty()) {
      c = c.withPluginDirs(main.pluginDirs());
    }
    PrintStream log =
        new PrintStream(main.streams.err(), true, java.nio.charset.StandardCharsets.UTF_8);
    Daemon daemon;
    try {
      daemon = Daemon.start(c, main.streams.env(), Main.version(), log);
    } catch (IOException e) {
      return new Printer(spec, main.streams)
          .fail(
              "daemon",
              "cannot use the state directory: " + e,
              "give a directory this user can write with --state-dir DIR",
              74);
    }
    Thread hook = new Thread(daemon::close, "plasm-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);
    daemon.awaitClose();
    return ExitCodes.OK;
  }
}
