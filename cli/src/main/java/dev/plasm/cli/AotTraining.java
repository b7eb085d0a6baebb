package dev.plasm.cli;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The AOT cache's training run (jlink/src/main/sh/build-image.sh): several {@code plasm} commands in
 * one JVM, so that the cache holds the classes of each ({@code run} on every bundled engine, the
 * client commands against a live daemon, "no daemon reachable", {@code --version}). JDK 25 makes a
 * cache from one training process, so the commands cannot be separate processes.
 *
 * <p>Started by {@code -Dplasm.aot.training=FILE}: one command a line, its words separated by tabs,
 * the first word the exit code it must end with; empty lines and lines starting with {@code #} are
 * skipped. A command that ends otherwise fails the training (exit 1), so a cache is never made
 * from a run that went wrong.
 */
final class AotTraining {
  private AotTraining() {}

  static int run(Path file, Streams streams) {
    List<String> lines;
    try {
      lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      System.err.println("plasm: aot training: cannot read " + file + ": " + e.getMessage());
      return 1;
    }
    PrintStream log = System.err;
    List<String> failed = new ArrayList<>();
    for (String line : lines) {
      if (line.isBlank() || line.startsWith("#")) {
        continue;
      }
      String[] words = line.split("\t");
      int expected = Integer.parseInt(words[0].strip());
      String[] args = Arrays.copyOfRange(words, 1, words.length);
      long start = System.nanoTime();
      int code =
          Main.commandLine(streams, c -> Runtime.getRuntime().halt(c), Main.only(args))
              .execute(args);
      log.printf(
          "plasm: aot training: plasm %s: exit %d (%d ms)%n",
          String.join(" ", args), code, (System.nanoTime() - start) / 1_000_000);
      if (code != expected) {
        failed.add("plasm " + String.join(" ", args) + ": exit " + code + ", expected " + expected);
      }
    }
    failed.forEach(f -> log.println("plasm: aot training: FAILED " + f));
    return failed.isEmpty() ? 0 : 1;
  }
}
