import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Drives a running plasm daemon with N concurrent clients, each submitting a job with {@code
 * ?wait=60s} (the answer comes when the job has ended) in a loop, and prints throughput and
 * submit-to-result latency, with {@code jobsAll} (every job that ended during the run, warm-up
 * included) and {@code driverCpuMs} (this process's CPU time over the run), so that a caller can
 * state CPU per job. JDK only, so it runs as a source file: {@code java bench/daemon/LoadDriver.java --base URL --token-file F --module SHA256}.
 * With {@code --serve} alone it runs one case per line read from stdin (the same words), so that
 * one warm JVM drives every case of a benchmark.
 */
public final class LoadDriver {
  private static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([0-9a-f-]+)\"");
  private static final Pattern STATE = Pattern.compile("\"state\"\\s*:\\s*\"([a-z]+)\"");
  private static final Pattern KIND = Pattern.compile("\"kind\"\\s*:\\s*\"([a-z-]+)\"");

  private static final HttpClient HTTP = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();

  public static void main(String[] args) throws Exception {
    if (args.length == 1 && args[0].equals("--serve")) {
      // One JVM for every case (run.sh starts it once): a case per line on stdin, in the same
      // "--name value" words as the command line, its JSON line on stdout. Its JIT is warm after
      // the first cases, as a client's would be, instead of compiling again in every case.
      var in = new java.io.BufferedReader(new java.io.InputStreamReader(System.in));
      for (String line; (line = in.readLine()) != null; ) {
        if (!line.isBlank()) {
          System.out.println(runCase(line.strip().split("\\s+")));
          System.out.flush();
        }
      }
      return;
    }
    System.out.println(runCase(args));
  }

  private static String runCase(String[] args) throws Exception {
    Map<String, String> a = new ConcurrentHashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    String base = require(a, "base");
    String token = Files.readString(Path.of(require(a, "token-file"))).strip();
    String module = require(a, "module");
    int clients = Integer.parseInt(a.getOrDefault("clients", "4"));
    double seconds = Double.parseDouble(a.getOrDefault("seconds", "10"));
    double warmup = Double.parseDouble(a.getOrDefault("warmup", "2"));
    String label = a.getOrDefault("label", "load");
    HttpClient http = HTTP;
    String body = "{\"module\":\"" + module + "\",\"args\":[\"bench\"]}";

    long start = System.nanoTime();
    long measureFrom = start + (long) (warmup * 1e9);
    long end = measureFrom + (long) (seconds * 1e9);
    List<long[]> perClient = new ArrayList<>();
    AtomicLong refused = new AtomicLong();
    AtomicLong bad = new AtomicLong();
    AtomicLong all = new AtomicLong(); // every job that ended during the run, warm-up included (for CPU per job)
    Map<String, AtomicLong> outcomes = new ConcurrentHashMap<>();
    List<Thread> threads = new ArrayList<>();
    var os = (com.sun.management.OperatingSystemMXBean) java.lang.management.ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime();
    for (int c = 0; c < clients; c++) {
      long[] lat = new long[1 << 20];
      perClient.add(lat);
      threads.add(Thread.ofVirtual().start(() -> {
        int n = 0;
        try {
          while (System.nanoTime() < end) {
            long t0 = System.nanoTime();
            HttpResponse<String> r = http.send(req(base, token, "/v1/jobs?wait=60s")
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body)).build(),
                HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() == 429) {
              refused.incrementAndGet();
              Thread.sleep(5);
              continue;
            }
            if (r.statusCode() != 202) {
              bad.incrementAndGet();
              System.err.println("submit: HTTP " + r.statusCode() + " " + r.body());
              Thread.sleep(100);
              continue;
            }
            String id = group(ID, r.body());
            String job = r.body();
            while (Arrays.asList("queued", "running").contains(group(STATE, job))) {
              job = http.send(req(base, token, "/v1/jobs/" + id + "/wait?timeout=60s").GET().build(),
                  HttpResponse.BodyHandlers.ofString()).body();
            }
            long t1 = System.nanoTime();
            all.incrementAndGet();
            String kind = group(STATE, job).equals("finished") ? group(KIND, job) : group(STATE, job);
            if (t0 >= measureFrom && t1 <= end) {
              outcomes.computeIfAbsent(kind, k -> new AtomicLong()).incrementAndGet();
              lat[n++] = t1 - t0;
            }
          }
        } catch (Exception e) {
          bad.incrementAndGet();
          System.err.println("client failed: " + e);
        }
        lat[lat.length - 1] = n; // count in the last slot
      }));
    }
    for (Thread t : threads) {
      t.join();
    }
    long driverCpu = os.getProcessCpuTime() - cpu0;
    int total = 0;
    for (long[] l : perClient) {
      total += (int) l[l.length - 1];
    }
    long[] sorted = new long[total];
    int k = 0;
    for (long[] l : perClient) {
      int n = (int) l[l.length - 1];
      System.arraycopy(l, 0, sorted, k, n);
      k += n;
    }
    Arrays.sort(sorted);
    double rate = total / seconds;
    return String.format("{\"label\":\"%s\",\"clients\":%d,\"seconds\":%.1f,\"jobs\":%d,\"jobsPerSecond\":%.1f,"
            + "\"p50Ms\":%.2f,\"p90Ms\":%.2f,\"p99Ms\":%.2f,\"maxMs\":%.2f,\"refused429\":%d,\"errors\":%d,\"jobsAll\":%d,\"driverCpuMs\":%.1f,\"outcomes\":\"%s\"}",
        label, clients, seconds, total, rate, pct(sorted, 50), pct(sorted, 90), pct(sorted, 99),
        sorted.length == 0 ? 0 : sorted[sorted.length - 1] / 1e6, refused.get(), bad.get(), all.get(), driverCpu / 1e6,
        outcomes);
  }

  private static double pct(long[] sorted, double p) {
    if (sorted.length == 0) {
      return 0;
    }
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))] / 1e6;
  }

  private static HttpRequest.Builder req(String base, String token, String path) {
    return HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(90))
        .header("Authorization", "Bearer " + token);
  }

  private static String group(Pattern p, String s) {
    Matcher m = p.matcher(s);
    if (!m.find()) {
      throw new IllegalStateException("unexpected answer: " + s);
    }
    return m.group(1);
  }

  private static String require(Map<String, String> a, String k) {
    String v = a.get(k);
    if (v == null) {
      System.err.println("LoadDriver: --" + k + " is required");
      System.exit(64);
    }
    return v;
  }
}
