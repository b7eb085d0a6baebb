package dev.plasm.cli;

import dev.plasm.cli.term.Tty;
import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.Objects;

/**
 * The byte streams a guest is connected to, the environment Plasm reads settings from, and which
 * of the streams are terminals (status lines and colour are only for terminals); tests pass their
 * own.
 */
public record Streams(
    InputStream in, OutputStream out, OutputStream err, Map<String, String> env, Tty tty) {
  public Streams {
    Objects.requireNonNull(in, "in");
    Objects.requireNonNull(out, "out");
    Objects.requireNonNull(err, "err");
    Objects.requireNonNull(tty, "tty");
    env = Map.copyOf(env);
  }

  /** Streams that are not terminals (pipes, files, buffers). */
  public Streams(InputStream in, OutputStream out, OutputStream err, Map<String, String> env) {
    this(in, out, err, env, Tty.NONE);
  }

  /** The process's own file descriptors 0, 1, 2 (unbuffered: the sandbox flushes) and environment. */
  public static Streams system() {
    return new Streams(
        new FileInputStream(FileDescriptor.in),
        new FileOutputStream(FileDescriptor.out),
        new FileOutputStream(FileDescriptor.err),
        System.getenv(),
        Tty.detect());
  }
}
