package dev.plasm.daemon.internal.worker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident set sizes and thread counts from Linux's /proc; -1 elsewhere or for a process that is gone. */
public final class Rss {
  private Rss() {}

  /** The process's resident memory in bytes ({@code VmRSS}), or -1 when it cannot be read. */
  public static long of(long pid) {
    long kb = field(pid, "VmRSS:");
    return kb < 0 ? -1 : kb * 1024; // the kernel reports kB
  }

  /** The process's threads (the kernel's count: platform threads, carriers included), or -1. */
  public static long threads(long pid) {
    return field(pid, "Threads:");
  }

  private static long field(long pid, String name) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith(name)) {
          String[] f = line.substring(name.length()).trim().split("\\s+");
          return Long.parseLong(f[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }
}
