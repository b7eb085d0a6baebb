package dev.plasm.cli;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;

/** Runs the real {@code plasm} command line in this JVM and captures what a user would see. */
final class Cli {
  /** What one invocation printed and returned. */
  record Result(int exitCode, String out, String err, byte[] outBytes, int haltCode) {
    @Override
    public String toString() {
      return "exit " + exitCode + "\n--- stdout\n" + out + "\n--- stderr\n" + err;
    }
  }

  private Cli() {}

  static Result run(String... args) {
    return run(new byte[0], Map.of(), args);
  }

  static Result run(byte[] stdin, Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    AtomicInteger halted = new AtomicInteger(-1);
    Map<String, String> e = new java.util.HashMap<>(env);
    // Keep a developer's own ~/.plasm/plugins out of the tests.
    e.putIfAbsent("PLASM_HOME", System.getProperty("java.io.tmpdir") + "/plasm-tests-no-home");
    Streams streams = new Streams(new ByteArrayInputStream(stdin), out, err, e);
    // In-process tests must never hit a runaway guest; the halt code shows if one did.
    // The same command line Main.main builds for these arguments.
    int code = Main.commandLine(streams, halted::set, Main.only(args)).execute(args);
    byte[] o = out.toByteArray();
    return new Result(
        code,
        new String(o, StandardCharsets.UTF_8),
        err.toString(StandardCharsets.UTF_8),
        o,
        halted.get());
  }
}
