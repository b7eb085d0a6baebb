import java.io.IOException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordingFile;

/**
 * Sums a JFR recording of the daemon or of a worker (bench/daemon/run.sh --profile) by area of the
 * job path: CPU-time samples (JDK 25's sampler, jdk.CPUTimeSample: one per ms of a thread's CPU, in
 * Java or native code), execution samples, allocation, GC pauses, parks. JDK only, run as a source file:
 * {@code java bench/daemon/JfrAreas.java [--jobs N] FILE.jfr...}; with --jobs it also divides the
 * recordings' GC pauses and parks by the jobs of the recorded case.
 *
 * <p>A sample's area is that of the innermost frame (from the top of the stack) that belongs to a
 * known area, so a {@code HashMap.get} called from the journal counts as the journal; a stack with no
 * known frame counts as its top frame's JDK package. Execution samples are taken only of threads
 * running Java code; CPU-time samples also of Java threads in native code (wasmtime's library,
 * system calls). Neither covers the JIT compilers or the collector, which are not Java threads
 * (run.sh's per-thread CPU and perf profile cover those).
 */
public final class JfrAreas {
  // Ordered: the first rule a frame's class name starts with names its area.
  private static final String[][] RULES = {
    {"SHA-256 / Ed25519 (receipts, hashes)", "sun.security.ec.ed.", "sun.security.provider.SHA",
      "sun.security.provider.DigestBase", "sun.security.util.math.", "sun.security.ec.",
      "java.security.MessageDigest", "java.security.Signature", "org.bouncycastle.", "dev.plasm.receipt."},
    {"JSON (Jackson, Plasm's JSON records)", "com.fasterxml.jackson.", "tools.jackson.",
      "dev.plasm.daemon.internal.store.Json", "dev.plasm.daemon.internal.store.JobRecordJson"},
    {"engine: wasmtime (Java side, JNI calls)", "io.github.kawamuray.wasmtime.", "dev.plasm.engine.wasmtime."},
    {"engine: Chicory", "com.dylibso.chicory.", "dev.plasm.engine.chicory."},
    {"engine SPI, WASI support", "dev.plasm.engine."},
    {"HTTP server (parse, write)", "dev.plasm.daemon.internal.httpd."},
    {"API routes, submissions", "dev.plasm.daemon.internal.http."},
    {"journal, job store", "dev.plasm.daemon.internal.store."},
    {"executor, worker pipe (daemon side)", "dev.plasm.daemon.internal.exec."},
    {"worker main, pipe (worker side)", "dev.plasm.daemon.internal.worker."},
    {"job model, host", "dev.plasm.job.", "dev.plasm.host.", "dev.plasm.api.", "dev.plasm.identity."},
    {"other Plasm code", "dev.plasm."},
    {"JFR itself", "jdk.jfr."},
  };

  public static void main(String[] args) throws IOException {
    long jobs = 0;
    List<Path> files = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--jobs") && i + 1 < args.length) {
        jobs = Long.parseLong(args[++i]);
      } else {
        files.add(Path.of(args[i]));
      }
    }
    if (files.isEmpty()) {
      System.err.println("JfrAreas: usage: java bench/daemon/JfrAreas.java [--jobs N] FILE.jfr...");
      System.exit(64);
    }
    for (Path f : files) {
      report(f, jobs);
    }
  }

  private static void report(Path file, long jobs) throws IOException {
    Map<String, Long> cpuAreas = new HashMap<>();
    Map<String, Long> cpuSelf = new HashMap<>();
    Map<String, Long> cpuThreads = new HashMap<>();
    Map<String, Map<String, Long>> cpuAreaTop = new HashMap<>();
    long cpuSamples = 0, cpuFailed = 0, cpuLost = 0;
    Map<String, Long> areas = new HashMap<>();
    Map<String, Long> self = new HashMap<>();
    Map<String, Long> threads = new HashMap<>();
    Map<String, Long> allocArea = new HashMap<>();
    Map<String, Long> allocSite = new HashMap<>();
    Map<String, Long> parks = new HashMap<>();
    long samples = 0, allocBytes = 0, gcCount = 0, parkCount = 0;
    Duration gcPause = Duration.ZERO, span = Duration.ZERO;
    java.time.Instant first = null, last = null;
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      if (first == null || e.getStartTime().isBefore(first)) first = e.getStartTime();
      if (last == null || e.getEndTime().isAfter(last)) last = e.getEndTime();
      switch (e.getEventType().getName()) {
        case "jdk.ExecutionSample" -> {
          samples++;
          areas.merge(area(e.getStackTrace()), 1L, Long::sum);
          self.merge(top(e.getStackTrace()), 1L, Long::sum);
          threads.merge(thread(e.getThread("sampledThread")), 1L, Long::sum);
        }
        case "jdk.CPUTimeSample" -> {
          if (e.getBoolean("failed") || e.getStackTrace() == null) {
            cpuFailed++;
          } else {
            cpuSamples++;
            cpuAreas.merge(area(e.getStackTrace()), 1L, Long::sum);
            cpuAreaTop.computeIfAbsent(area(e.getStackTrace()), k -> new HashMap<>())
                .merge(top(e.getStackTrace()), 1L, Long::sum);
            cpuSelf.merge(top(e.getStackTrace()), 1L, Long::sum);
            cpuThreads.merge(thread(e.getThread("eventThread")), 1L, Long::sum);
          }
        }
        case "jdk.CPUTimeSamplesLost" -> cpuLost += e.getLong("lostSamples");
        case "jdk.ObjectAllocationSample" -> {
          long w = e.getLong("weight");
          allocBytes += w;
          allocArea.merge(area(e.getStackTrace()), w, Long::sum);
          allocSite.merge(e.getClass("objectClass").getName() + " in " + site(e.getStackTrace()), w, Long::sum);
        }
        case "jdk.GarbageCollection" -> {
          gcCount++;
          gcPause = gcPause.plus(e.getDuration("sumOfPauses"));
        }
        case "jdk.ThreadPark" -> {
          parkCount++;
          parks.merge(site(e.getStackTrace()), 1L, Long::sum);
        }
        default -> {}
      }
    }
    if (first != null) span = Duration.between(first, last);
    System.out.printf("%n== %s: %d CPU-time samples (%d failed, %d lost), %d execution samples, over %.1f s%n",
        file.getFileName(), cpuSamples, cpuFailed, cpuLost, samples, span.toMillis() / 1000.0);
    System.out.println("-- CPU-time samples by area (innermost known frame)");
    print(cpuAreas, cpuSamples, 20, "");
    System.out.println("-- CPU-time samples: the top frames of each area's samples");
    long cpuTotal = cpuSamples;
    cpuAreas.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(8)
        .forEach(a -> {
          System.out.println("   " + a.getKey());
          print(cpuAreaTop.get(a.getKey()), cpuTotal, 4, "      ");
        });
    System.out.println("-- CPU-time samples: hot methods (top frame, native methods included)");
    print(cpuSelf, cpuSamples, 30, "");
    System.out.println("-- CPU-time samples by thread (digits folded to N)");
    print(cpuThreads, cpuSamples, 10, "");
    System.out.println("-- execution samples by area (innermost known frame)");
    print(areas, samples, 20, "");
    System.out.println("-- hot methods (top frame)");
    print(self, samples, 25, "");
    System.out.println("-- samples by thread (digits folded to N)");
    print(threads, samples, 10, "");
    System.out.printf("-- allocation: %.1f MiB sampled weight%s%n", allocBytes / 1048576.0,
        jobs > 0 ? String.format(", %.1f KiB per job", allocBytes / 1024.0 / jobs) : "");
    print(allocArea, allocBytes, 12, "");
    System.out.println("-- allocation sites (class in innermost Plasm/library frame)");
    print(allocSite, allocBytes, 15, "");
    System.out.printf("-- GC: %d collections, pauses %.1f ms in all%s%n", gcCount, gcPause.toNanos() / 1e6,
        jobs > 0 ? String.format(", %.2f us per job", gcPause.toNanos() / 1e3 / jobs) : "");
    System.out.printf("-- parks of 20 ms or more (the profile settings' threshold): %d%n", parkCount);
    print(parks, parkCount, 5, "");
  }

  private static void print(Map<String, Long> m, long total, int n, String indent) {
    Map<String, Long> sorted = new LinkedHashMap<>();
    m.entrySet().stream().sorted(Map.Entry.<String, Long>comparingByValue().reversed()).limit(n)
        .forEach(x -> sorted.put(x.getKey(), x.getValue()));
    sorted.forEach((k, v) -> System.out.printf("%s%6.1f %%  %10d  %s%n", indent, total > 0 ? v * 100.0 / total : 0, v, k));
  }

  private static String area(RecordedStackTrace st) {
    if (st == null || st.getFrames().isEmpty()) return "(no stack)";
    for (RecordedFrame f : st.getFrames()) {
      String c = f.getMethod().getType().getName();
      for (String[] r : RULES) {
        for (int i = 1; i < r.length; i++) {
          if (c.startsWith(r[i])) return r[0];
        }
      }
    }
    String c = st.getFrames().get(0).getMethod().getType().getName();
    int dot = c.lastIndexOf('.');
    return "JDK " + (dot > 0 ? c.substring(0, dot) : c);
  }

  private static String thread(jdk.jfr.consumer.RecordedThread t) {
    String n = t == null ? null : t.getJavaName();
    return n == null ? "?" : n.replaceAll("[0-9]+", "N");
  }

  private static String top(RecordedStackTrace st) {
    if (st == null || st.getFrames().isEmpty()) return "(no stack)";
    return name(st.getFrames().get(0));
  }

  // The innermost frame outside java.*, jdk.*, sun.* (where the program asked for the work).
  private static String site(RecordedStackTrace st) {
    if (st == null || st.getFrames().isEmpty()) return "(no stack)";
    for (RecordedFrame f : st.getFrames()) {
      String c = f.getMethod().getType().getName();
      if (!c.startsWith("java.") && !c.startsWith("jdk.") && !c.startsWith("sun.")) return name(f);
    }
    return name(st.getFrames().get(0));
  }

  private static String name(RecordedFrame f) {
    String c = f.getMethod().getType().getName();
    return c.substring(c.lastIndexOf('.') + 1) + "." + f.getMethod().getName() + " (" + c.substring(0, Math.max(0, c.lastIndexOf('.'))) + ")";
  }
}
