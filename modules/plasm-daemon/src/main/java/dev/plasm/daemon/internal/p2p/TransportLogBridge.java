package dev.plasm.daemon.internal.p2p;

import dev.plasm.daemon.internal.log.Log;
import java.util.logging.Formatter;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import java.util.logging.SimpleFormatter;

/**
 * Routes what transports log through {@code System.Logger} (backed by java.util.logging when no
 * other finder is installed) into the daemon's own log, so a dropped peer is one line in the
 * daemon's format (json stays one object per line) instead of JUL's two-line console records.
 */
final class TransportLogBridge extends Handler {
  /** The namespace of Plasm's transports' loggers ({@code dev.plasm.transport.libp2p.kad}, ...). */
  static final String NAMESPACE = "dev.plasm.transport";

  private static final Formatter MESSAGE = new SimpleFormatter();
  private final Log log;
  // JUL keeps loggers weakly: hold the configured one so its handler and level stay.
  private final Logger root;
  private final boolean parentHandlers;
  private final Level level;

  private TransportLogBridge(Log log, Logger root) {
    this.log = log;
    this.root = root;
    this.parentHandlers = root.getUseParentHandlers();
    this.level = root.getLevel();
  }

  /** Installs the bridge (INFO and above); {@link #close()} removes it. */
  static TransportLogBridge install(Log log) {
    Logger root = Logger.getLogger(NAMESPACE);
    TransportLogBridge b = new TransportLogBridge(log, root);
    root.setLevel(Level.INFO);
    root.setUseParentHandlers(false);
    root.addHandler(b);
    return b;
  }

  @Override
  public void publish(LogRecord r) {
    if (r == null || r.getLevel().intValue() < Level.INFO.intValue()) {
      return;
    }
    String msg = MESSAGE.formatMessage(r).replace('\n', ' ').replace('\r', ' ');
    String logger = r.getLoggerName() == null ? NAMESPACE : r.getLoggerName();
    if (r.getLevel().intValue() >= Level.SEVERE.intValue()) {
      log.error(msg, "logger", logger);
    } else if (r.getLevel().intValue() >= Level.WARNING.intValue()) {
      log.warn(msg, "logger", logger);
    } else {
      log.info(msg, "logger", logger);
    }
  }

  @Override
  public void flush() {}

  @Override
  public void close() {
    root.removeHandler(this);
    root.setUseParentHandlers(parentHandlers);
    root.setLevel(level);
  }
}
