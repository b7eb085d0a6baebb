package dev.plasm.daemon.internal.worker;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Resident set sizes and thread counts from Linux's /proc; -1 elsewhere or for a process that is gone. */
public final class Rss {
  private Rss() {}

  /** Bytes of a page, as /proc/PID/statm counts them. */
  private static final long PAGE = pageSize();

  /**
   * The process's resident memory in bytes (what {@code VmRSS} shows), or -1 when it cannot be
   * read. From {@code /proc/PID/statm}: one short line, read often (every 50 ms per running job).
   */
  public static long of(long pid) {
    try {
      String statm = Files.readString(Path.of("/proc", Long.toString(pid), "statm"));
      int a = statm.indexOf(' ');
      int b = statm.indexOf(' ', a + 1);
      return Long.parseLong(statm, a + 1, b, 10) * PAGE;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  private static long pageSize() {
    // The first mapping's KernelPageSize; reading stops there (smaps is long).
    try (var r = Files.newBufferedReader(Path.of("/proc/self/smaps"))) {
      for (String line; (line = r.readLine()) != null; ) {
        if (line.startsWith("KernelPageSize:")) {
          return Long.parseLong(line.substring("KernelPageSize:".length()).replace("kB", "").trim())
              * 1024;
        }
      }
    } catch (IOException | RuntimeException e) {
      // Not Linux: of() answers -1 anyway.
    }
    return 4096;
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
