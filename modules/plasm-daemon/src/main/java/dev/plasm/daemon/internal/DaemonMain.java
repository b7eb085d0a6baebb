package dev.plasm.daemon.internal;

import dev.plasm.api.ConfigurationException;
import dev.plasm.daemon.Daemon;
import dev.plasm.daemon.DaemonConfig;
import java.nio.file.Path;

/**
 * A bare entry point for the daemon without the CLI ({@code plasm daemon} is the supported one):
 * {@code DaemonMain [--config FILE] [--listen HOST:PORT] [--state-dir DIR] [--log-format text|json]}.
 * Tests of this module start real daemon processes with it.
 */
public final class DaemonMain {
  private DaemonMain() {}

  public static void main(String[] args) throws Exception {
    Path config = null;
    String listen = null;
    Path stateDir = null;
    String logFormat = null;
    for (int i = 0; i < args.length; i++) {
      String v = i + 1 < args.length ? args[i + 1] : null;
      switch (args[i]) {
        case "--config" -> config = Path.of(v);
        case "--listen" -> listen = v;
        case "--state-dir" -> stateDir = Path.of(v);
        case "--log-format" -> logFormat = v;
        default -> {
          System.err.println("plasm daemon: unknown argument " + args[i]);
          System.exit(64);
        }
      }
      i++;
    }
    try {
      DaemonConfig c = DaemonConfig.load(config).withOverrides(listen, stateDir, logFormat);
      Daemon d = Daemon.start(c, System.getenv(), "dev", System.err);
      Runtime.getRuntime().addShutdownHook(new Thread(d::close, "plasm-shutdown"));
      d.awaitClose();
    } catch (ConfigurationException e) {
      System.err.println("plasm daemon: " + e.getMessage());
      System.exit(64);
    }
  }
}
