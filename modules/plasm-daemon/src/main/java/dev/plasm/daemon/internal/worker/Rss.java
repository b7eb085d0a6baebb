package dev.plasm.daemon.internal.worker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident set sizes from Linux's /proc; -1 elsewhere or for a process that is gone. */
public final class Rss {
  private Rss() {}

  /** The process's resident memory in bytes ({@code VmRSS}), or -1 when it cannot be read. */
  public static long of(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
        if (line.startsWith("VmRSS:")) {
          String[] f = line.substring(6).trim().split("\\s+");
          return Long.parseLong(f[0]) * 1024; // the kernel reports kB
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }
}
