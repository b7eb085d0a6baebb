package dev.plasm.transport.libp2p;

import java.util.function.Predicate;
import java.util.logging.Handler;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import java.util.logging.Logger;

/**
 * Runs an action inside a log call of the product, on the thread that logs: how a test holds a
 * thread at an exact point (a handshake's end, a session's close) to force an interleaving.
 */
public final class LogHook implements AutoCloseable {
  private final Logger logger;
  private final Level level;
  private final Handler handler;

  private LogHook(Logger logger, Handler handler) {
    this.logger = logger;
    this.level = logger.getLevel();
    this.handler = handler;
    logger.setLevel(Level.FINE);
    logger.addHandler(handler);
  }

  /** From now until {@link #close}, runs {@code action} in every log call to {@code name} that {@code when} accepts. */
  public static LogHook install(String name, Predicate<LogRecord> when, Runnable action) {
    return new LogHook(
        Logger.getLogger(name),
        new Handler() {
          @Override
          public void publish(LogRecord r) {
            if (when.test(r)) {
              action.run();
            }
          }

          @Override
          public void flush() {}

          @Override
          public void close() {}
        });
  }

  /** True for a message containing {@code text} logged on a thread whose name starts with {@code thread}. */
  public static Predicate<LogRecord> message(String text, String thread) {
    return r ->
        r.getMessage() != null
            && r.getMessage().contains(text)
            && Thread.currentThread().getName().startsWith(thread);
  }

  @Override
  public void close() {
    logger.removeHandler(handler);
    logger.setLevel(level);
  }
}
