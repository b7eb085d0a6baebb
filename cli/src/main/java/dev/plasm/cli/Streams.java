package dev.plasm.cli;

import java.io.FileDescriptor;
import java.io.FileInputStream;
import java.io.FileOutputStream;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Map;
import java.util.Objects;

/**
 * The byte streams a guest is connected to, and the environment Plasm reads settings from; tests
 * pass their own.
 */
public record Streams(InputStream in, OutputStream out, OutputStream err, Map<String, String> env) {
  public Streams {
    Objects.requireNonNull(in, "in");
    Objects.requireNonNull(out, "out");
    Objects.requireNonNull(err, "err");
    env = Map.copyOf(env);
  }

  /** The process's own file descriptors 0, 1, 2 (unbuffered: the sandbox flushes) and environment. */
  public static Streams system() {
    return new Streams(
        new FileInputStream(FileDescriptor.in),
        new FileOutputStream(FileDescriptor.out),
        new FileOutputStream(FileDescriptor.err),
        System.getenv());
  }
}
