package dev.plasm.cli;

import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * {@code plasm daemon} in its own JVM on 127.0.0.1 with an ephemeral port and JSON logs, started
 * from the tests' module and class path; {@link #close} stops it with SIGTERM.
 */
final class DaemonUnderTest implements AutoCloseable {
  final Process process;
  final Path state;
  private final StringBuffer log;
  private final CompletableFuture<Void> logDone;

  private DaemonUnderTest(
      Process process, Path state, StringBuffer log, CompletableFuture<Void> logDone) {
    this.process = process;
    this.state = state;
    this.log = log;
    this.logDone = logDone;
  }

  /** Starts a daemon with state in {@code state}; {@code args} are more {@code plasm daemon} options. */
  static DaemonUnderTest start(Path state, String... args) throws Exception {
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    String cp =
        System.getProperty("jdk.module.path", "")
            + File.pathSeparator
            + System.getProperty("java.class.path");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                java,
                "-Xmx256m",
                "-XX:TieredStopAtLevel=1",
                "-cp",
                cp,
                "dev.plasm.cli.Main",
                "daemon",
                "--listen",
                "127.0.0.1:0",
                "--state-dir",
                state.toString(),
                "--log-format",
                "json"));
    cmd.addAll(List.of(args));
    if (!List.of(args).contains("--config")) {
      // An explicit (empty) config: without one a daemon reads /etc/plasm/plasmd.toml when the
      // package is installed.
      Path empty = Files.writeString(state.resolveSibling(state.getFileName() + "-empty.toml"), "");
      cmd.addAll(List.of("--config", empty.toString()));
    }
    Process p = new ProcessBuilder(cmd).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    StringBuffer log = new StringBuffer();
    CompletableFuture<Void> listening = new CompletableFuture<>();
    CompletableFuture<Void> logDone = new CompletableFuture<>();
    Thread.ofVirtual()
        .start(
            () -> {
              try (BufferedReader r =
                  new BufferedReader(
                      new InputStreamReader(p.getErrorStream(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = r.readLine()) != null) {
                  log.append(line).append('\n');
                  if (line.contains("\"msg\":\"plasm daemon listening\"")) {
                    listening.complete(null);
                  }
                }
              } catch (java.io.IOException e) {
                // The process ended.
              }
              listening.completeExceptionally(new AssertionError("the daemon ended:\n" + log));
              logDone.complete(null);
            });
    DaemonUnderTest d = new DaemonUnderTest(p, state, log, logDone);
    try {
      listening.get(60, TimeUnit.SECONDS);
    } catch (Exception e) {
      d.close();
      throw e;
    }
    return d;
  }

  /**
   * A daemon with its state in {@code dir/state} and an explicit, minimal config file (a machine may
   * have /etc/plasm/plasmd.toml from the Debian package, which a daemon without --config reads).
   */
  static DaemonUnderTest withConfig(Path dir) throws Exception {
    Path config = dir.resolve("plasmd.toml");
    java.nio.file.Files.writeString(config, "[jobs]\nconcurrency = 1\n");
    return start(dir.resolve("state"), "--config", config.toString());
  }

  /** The environment that makes client commands find this daemon and its token. */
  Map<String, String> env() {
    return Map.of("PLASM_HOME", state.toString());
  }

  String log() {
    return log.toString();
  }

  /** SIGTERM (through the handle, so our end of its stderr stays open), then waits for its log to end. */
  int stop() throws Exception {
    process.toHandle().destroy();
    if (!process.waitFor(20, TimeUnit.SECONDS)) {
      process.destroyForcibly();
      process.waitFor(10, TimeUnit.SECONDS);
    }
    logDone.get(10, TimeUnit.SECONDS);
    return process.exitValue();
  }

  @Override
  public void close() throws Exception {
    if (process.isAlive()) {
      stop();
    }
  }
}
