import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A soak run of one plasm daemon (bench/daemon/soak.sh runs it; docs/performance.md has results).
 *
 * <p>For {@code --minutes} it alternates bounded load (a few clients submitting a mix of jobs of
 * every outcome: completed, non-zero exit, trap, timeout, output limit, memory limit, rejected,
 * deterministic, and jobs cancelled while running) with idle gaps longer than the virtual-thread
 * scheduler's keep-alive, and restarts the daemon (SIGTERM, start again) every {@code
 * --restart-minutes}. Throughout, a prober asks {@code /healthz} twice a second and a sampler
 * records the daemon's resident memory, heap and threads from {@code /v1/node}. At the end every
 * accepted job must be listed exactly once, ended, and, if it started, have a receipt; a sample of
 * receipts is verified with {@code plasm receipt verify --trust}.
 *
 * <p>JDK only, run as a source file by soak.sh: {@code java Soak.java --image DIR --minutes 60}.
 */
public final class Soak {
  static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([0-9a-f]{12}-[0-9a-f]{16})\"");
  static final Pattern STATE = Pattern.compile("\"state\"\\s*:\\s*\"([a-z]+)\"");
  static final Pattern KIND = Pattern.compile("\"kind\"\\s*:\\s*\"([a-z-]+)\"");
  static final Pattern RECEIPT = Pattern.compile("\"receipt\"\\s*:\\s*(true|false)");
  static final Pattern NEXT = Pattern.compile("\"next\"\\s*:\\s*\"([0-9a-f-]+)\"");
  static final Pattern FINISHED_AT = Pattern.compile("\"finishedAt\"\\s*:\\s*\"([^\"]+)\"");

  /**
   * The node's jobs.retention for the soak: short, so that an hour reaches the steady state where
   * jobs are forgotten as fast as they come (memory must then be flat). The books are kept by
   * listing the jobs after every cycle, well within it.
   */
  static final String RETENTION = "10m";

  static final Duration RETENTION_TIME = Duration.ofMinutes(10);

  final Path image;
  final Path repo;
  final Path state;
  final Path config;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
      .connectTimeout(Duration.ofSeconds(5)).build();
  volatile String base;
  volatile String token;
  volatile Process daemon;
  volatile boolean restarting;
  final Map<String, String> accepted = new ConcurrentHashMap<>(); // id -> what it was
  final Map<String, String> ended = new ConcurrentHashMap<>(); // id -> its entry when first seen ended
  final AtomicLong listedTwice = new AtomicLong();
  final AtomicLong keptPastRetention = new AtomicLong();
  volatile java.util.Set<String> lastListing = java.util.Set.of();
  final Map<String, AtomicLong> kinds = new ConcurrentHashMap<>();
  final List<Long> healthMillis = Collections.synchronizedList(new ArrayList<>());
  final AtomicLong healthSlow = new AtomicLong();
  final AtomicLong healthFailed = new AtomicLong();
  final List<long[]> samples = Collections.synchronizedList(new ArrayList<>()); // minute, rss, heap, threads
  final AtomicLong refused = new AtomicLong();
  /** With {@code --nmt true}: the daemon runs with native memory tracking, sampled with jcmd. */
  boolean nmt;
  Path details;
  final Random random = new Random(42);
  final long t0 = System.nanoTime();

  Soak(Path image, Path repo, Path scratch) throws IOException {
    this.image = image;
    this.repo = repo;
    this.state = Files.createDirectories(scratch.resolve("state"));
    this.config = scratch.resolve("plasmd.toml");
    Files.writeString(config, """
        state-dir = "%s"
        [api]
        listen = "127.0.0.1:0"
        [jobs]
        concurrency = 2
        queue-capacity = 256
        retention = "%s"
        [limits]
        timeout = "20s"
        memory = "64MiB"
        [workers]
        kill-grace = "3s"
        shutdown-grace = "2s"
        max-rss = "400MiB"
        """.formatted(state, RETENTION));
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    Path image = Path.of(a.get("image"));
    Path repo = Path.of(a.getOrDefault("repo", "."));
    double minutes = Double.parseDouble(a.getOrDefault("minutes", "60"));
    double restartEvery = Double.parseDouble(a.getOrDefault("restart-minutes", "15"));
    Path scratch = Files.createTempDirectory("plasm-soak");
    Soak s = new Soak(image, repo, scratch);
    s.nmt = Boolean.parseBoolean(a.getOrDefault("nmt", "false"));
    s.details = scratch.resolve("samples.tsv");
    System.err.println("detailed samples (RssAnon, RssFile, RssShmem in KiB; NMT committed KiB per category): " + s.details);
    try {
      s.run(minutes, restartEvery);
    } finally {
      s.stop();
    }
  }

  double minutes() {
    return (System.nanoTime() - t0) / 60e9;
  }

  void run(double minutes, double restartEvery) throws Exception {
    start();
    Thread prober = Thread.ofPlatform().daemon(true).start(this::probe);
    Thread sampler = Thread.ofPlatform().daemon(true).start(this::sample);
    double nextRestart = restartEvery;
    int cycle = 0;
    while (minutes() < minutes) {
      cycle++;
      load(Duration.ofSeconds(60), 4);
      log("cycle " + cycle + ": load done, idle for 90 s (past the carriers' 30 s keep-alive)");
      long idle = System.nanoTime();
      Thread.sleep(2_000);
      harvest();
      Thread.sleep(Math.max(0, 90_000 - (System.nanoTime() - idle) / 1_000_000));
      if (minutes() >= nextRestart && minutes() < minutes) {
        // Jobs in flight at the restart end interrupted (with receipts); none is lost or run twice.
        Thread.ofVirtual().start(() -> {
          try {
            load(Duration.ofSeconds(8), 2);
          } catch (Exception e) {
            // Submissions during the restart may fail to connect; accepted ones are tracked.
          }
        });
        Thread.sleep(3000);
        restart();
        nextRestart += restartEvery;
      }
    }
    Thread.sleep(2000);
    prober.interrupt();
    sampler.interrupt();
    report();
  }

  // ---- the daemon

  void start() throws Exception {
    Files.deleteIfExists(state.resolve("daemon.json"));
    ProcessBuilder pb = new ProcessBuilder(image.resolve("bin/plasm").toString(), "daemon", "--config", config.toString());
    pb.environment().put("PLASM_HOME", state.toString());
    if (nmt) {
      pb.environment().put("PLASM_JAVA_OPTS", "-XX:NativeMemoryTracking=summary");
    }
    pb.redirectOutput(ProcessBuilder.Redirect.DISCARD);
    pb.redirectError(ProcessBuilder.Redirect.appendTo(state.resolveSibling("daemon.log").toFile()));
    daemon = pb.start();
    long until = System.nanoTime() + 60_000_000_000L;
    while (!Files.isRegularFile(state.resolve("daemon.json")) && System.nanoTime() < until) {
      Thread.sleep(100);
    }
    String endpoint = Files.readString(state.resolve("daemon.json"));
    Matcher m = Pattern.compile("\"address\"\\s*:\\s*\"([^\"]+)\"").matcher(endpoint);
    m.find();
    base = "http://" + m.group(1);
    token = Files.readString(state.resolve("token")).strip();
    // The first answer of a fresh JVM (and of this harness's client) pays for class loading and the
    // interpreter; it is reported, not counted against the 100 ms bound that the running node must meet.
    long t = System.nanoTime();
    send("GET", "/healthz", null);
    log("daemon started, pid " + daemon.pid() + " at " + base + ", first answer in "
        + (System.nanoTime() - t) / 1_000_000 + " ms");
  }

  void restart() throws Exception {
    restarting = true;
    log("restart: SIGTERM");
    daemon.toHandle().destroy();
    if (!daemon.waitFor(60, TimeUnit.SECONDS)) {
      throw new IllegalStateException("the daemon did not stop within 60 s of SIGTERM");
    }
    start();
    restarting = false;
  }

  void stop() throws Exception {
    Process d = daemon;
    if (d != null && d.isAlive()) {
      d.toHandle().destroy();
      d.waitFor(60, TimeUnit.SECONDS);
      d.destroyForcibly();
    }
  }

  // ---- load

  record Kind(String name, String fixture, String args, String limits, boolean cancel) {}

  static final List<Kind> MIX = List.of(
      new Kind("hello", "examples/hello.wasm", "[\"soak\"]", null, false),
      new Kind("exit-3", "probe", "[\"exit\", \"3\"]", null, false),
      new Kind("trap", "trap-unreachable", "[]", null, false),
      new Kind("timeout", "loop-br", "[]", "{\"timeoutMillis\": 500}", false),
      new Kind("output", "probe", "[\"flood\"]", "{\"maxOutputBytes\": 65536}", false),
      new Kind("memory", "memory-grow-bomb", "[]", "{\"maxMemoryBytes\": 4194304}", false),
      new Kind("rejected", "invalid", "[]", null, false),
      new Kind("deterministic", "probe", "[\"random\", \"16\"]", null, false),
      new Kind("cancelled", "sleep-forever", "[]", null, true));

  final Map<String, String> modules = new ConcurrentHashMap<>();

  String moduleBase64(String fixture) throws IOException {
    Path p = fixture.endsWith(".wasm") ? repo.resolve(fixture)
        : repo.resolve("modules/plasm-test-fixtures/src/main/resources/dev/plasm/fixtures/" + fixture + ".wasm");
    return modules.computeIfAbsent(fixture, f -> {
      try {
        return Base64.getEncoder().encodeToString(Files.readAllBytes(p));
      } catch (IOException e) {
        throw new IllegalStateException(e);
      }
    });
  }

  void load(Duration d, int clients) throws Exception {
    long end = System.nanoTime() + d.toNanos();
    List<Thread> ts = new ArrayList<>();
    for (int c = 0; c < clients; c++) {
      ts.add(Thread.ofVirtual().start(() -> {
        Random r = new Random(Thread.currentThread().threadId());
        while (System.nanoTime() < end) {
          Kind k = MIX.get(r.nextInt(MIX.size()));
          try {
            submit(k);
          } catch (Exception e) {
            if (!restarting) {
              log("client: " + e);
            }
            sleep(500);
          }
        }
      }));
    }
    for (Thread t : ts) {
      t.join();
    }
  }

  void submit(Kind k) throws Exception {
    String body = "{\"moduleBase64\": \"" + moduleBase64(k.fixture()) + "\", \"args\": " + k.args()
        + (k.limits() == null ? "" : ", \"limits\": " + k.limits())
        + (k.name().equals("deterministic") ? ", \"deterministic\": true" : "")
        + (k.name().equals("deterministic") || k.name().equals("memory") ? ", \"engine\": \"chicory-interpreter\"" : "")
        + "}";
    HttpResponse<String> r = send("POST", k.cancel() ? "/v1/jobs" : "/v1/jobs?wait=60s", body);
    if (r.statusCode() == 429) {
      refused.incrementAndGet();
      sleep(200);
      return;
    }
    if (r.statusCode() != 202) {
      throw new IllegalStateException("submit " + k.name() + ": " + r.statusCode() + " " + r.body());
    }
    String id = first(ID, r.body());
    accepted.put(id, k.name());
    if (k.cancel()) {
      sleep(300 + random.nextInt(700));
      send("POST", "/v1/jobs/" + id + "/cancel", "");
    }
  }

  // ---- watching

  void probe() {
    while (!Thread.currentThread().isInterrupted()) {
      long t = System.nanoTime();
      try {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(base + "/healthz"))
            .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString());
        long ms = (System.nanoTime() - t) / 1_000_000;
        if (restarting) {
          // A probe that overlaps a restart measures the restart, which is logged on its own.
        } else if (r.statusCode() == 200) {
          healthMillis.add(ms);
          if (ms >= 100) {
            healthSlow.incrementAndGet();
            log("healthz took " + ms + " ms");
          }
        } else if (!restarting) {
          healthFailed.incrementAndGet();
        }
      } catch (Exception e) {
        if (!restarting) {
          healthFailed.incrementAndGet();
          log("healthz failed: " + e);
        }
      }
      sleep(500);
    }
  }

  void sample() {
    while (!Thread.currentThread().isInterrupted()) {
      try {
        String n = send("GET", "/v1/node", null).body();
        samples.add(new long[] {(long) (minutes() * 60), num(n, "rssBytes"), num(n, "heapUsedBytes"), num(n, "threads")});
        detail();
      } catch (Exception e) {
        // Restarting.
      }
      sleep(10_000);
    }
  }

  /**
   * Appends one line to the details file: where the daemon's resident memory is (anonymous, file,
   * shared) and, with NMT, what the JVM says it committed per category; to find what grows.
   */
  void detail() {
    try {
      Process d = daemon;
      StringBuilder line = new StringBuilder().append(String.format("%.1f\tpid=%d", minutes(), d.pid()));
      for (String l : Files.readAllLines(Path.of("/proc/" + d.pid() + "/status"))) {
        if (l.startsWith("RssAnon") || l.startsWith("RssFile") || l.startsWith("RssShmem")) {
          line.append('\t').append(l.replaceAll("\\s+", "").replace("kB", ""));
        }
      }
      if (nmt) {
        Process j = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString(),
            Long.toString(d.pid()), "VM.native_memory", "summary").redirectErrorStream(true).start();
        String out = new String(j.getInputStream().readAllBytes());
        j.waitFor();
        Matcher m = Pattern.compile("(?m)^-\\s+([A-Za-z ]+?) \\(reserved=\\d+KB, committed=(\\d+)KB").matcher(out);
        while (m.find()) {
          line.append('\t').append(m.group(1).replace(' ', '_')).append('=').append(m.group(2));
        }
        Matcher t = Pattern.compile("Total: reserved=\\d+KB, committed=(\\d+)KB").matcher(out);
        if (t.find()) {
          line.append("\tTotal=").append(t.group(1));
        }
      }
      Files.writeString(details, line.append('\n'), java.nio.file.StandardOpenOption.CREATE,
          java.nio.file.StandardOpenOption.APPEND);
    } catch (Exception e) {
      // Restarting: the next sample has it.
    }
  }

  // ---- the books

  /**
   * Lists every job the node holds and keeps, for the books, each job the first time it is seen
   * ended; counts a job listed twice in one listing, and one held past the retention (plus a pass).
   */
  void harvest() throws Exception {
    Map<String, Integer> listed = new HashMap<>();
    lastListing = listed.keySet();
    String before = null;
    java.time.Instant now = java.time.Instant.now();
    do {
      String page = send("GET", "/v1/jobs?limit=1000" + (before == null ? "" : "&before=" + before), null).body();
      for (String entry : page.split("\\}, \\{|\\},\\{")) {
        Matcher m = ID.matcher(entry);
        if (!m.find()) {
          continue;
        }
        String id = m.group(1);
        if (listed.merge(id, 1, Integer::sum) == 2) {
          listedTwice.incrementAndGet();
        }
        String st = first(STATE, entry);
        if (!st.equals("queued") && !st.equals("running")) {
          ended.putIfAbsent(id, entry);
          String at = first(FINISHED_AT, entry);
          if (!at.isEmpty()
              && java.time.Instant.parse(at).plus(RETENTION_TIME).plusSeconds(90).isBefore(now)) {
            keptPastRetention.incrementAndGet();
          }
        }
      }
      Matcher nx = NEXT.matcher(page);
      before = nx.find() ? nx.group(1) : null;
    } while (before != null);
  }

  void report() throws Exception {
    // Every accepted job seen ended exactly once (the node forgets jobs after the retention; the
    // harness listed them after every cycle), with a receipt when it started.
    harvest();
    int missing = 0;
    int unended = 0;
    int noReceipt = 0;
    Map<String, AtomicLong> outcomes = new LinkedHashMap<>();
    List<String> withReceipt = new ArrayList<>();
    int twice = (int) listedTwice.get();
    for (String id : accepted.keySet()) {
      String e = ended.get(id);
      if (e == null) {
        if (lastListing.contains(id)) {
          unended++;
          log("not ended: " + id + " " + accepted.get(id));
        } else {
          missing++;
          log("never seen ended: " + id + " " + accepted.get(id));
        }
        continue;
      }
      String st = first(STATE, e);
      boolean started = e.contains("\"startedAt\"");
      boolean receipt = "true".equals(first(RECEIPT, e));
      if (started && !receipt) {
        noReceipt++;
        log("no receipt: " + id + " " + accepted.get(id) + " " + st);
      }
      if (receipt && lastListing.contains(id)) {
        withReceipt.add(id); // still held (not past the retention): its receipt can be fetched
      }
      String k = e.contains("\"outcome\"") ? first(KIND, e) : st + " before it started";
      outcomes.computeIfAbsent(accepted.get(id) + " -> " + k, x -> new AtomicLong()).incrementAndGet();
    }
    // Verify a sample of receipts with the image's own verifier, offline.
    String peer = first(Pattern.compile("\"peerId\"\\s*:\\s*\"([^\"]+)\""), send("GET", "/v1/node", null).body());
    Collections.shuffle(withReceipt, random);
    int verified = 0;
    int verifyFailed = 0;
    for (String id : withReceipt.subList(0, Math.min(40, withReceipt.size()))) {
      Path f = Files.createTempFile("receipt", ".json");
      Files.write(f, sendBytes("/v1/jobs/" + id + "/receipt"));
      Process p = new ProcessBuilder(image.resolve("bin/plasm").toString(), "receipt", "verify", "--trust", peer,
          "--job-id", id, f.toString()).redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
      if (p.waitFor() == 0) {
        verified++;
      } else {
        verifyFailed++;
        log("receipt of " + id + " did not verify");
      }
      Files.delete(f);
    }
    List<Long> h = new ArrayList<>(healthMillis);
    Collections.sort(h);
    long p50 = h.isEmpty() ? -1 : h.get(h.size() / 2);
    long p99 = h.isEmpty() ? -1 : h.get((int) (h.size() * 0.99));
    long max = h.isEmpty() ? -1 : h.get(h.size() - 1);
    System.out.printf("soak: %.1f minutes, %d jobs accepted, %d submissions refused with 429%n", minutes(), accepted.size(),
        refused.get());
    outcomes.forEach((k, v) -> System.out.printf("  %-40s %d%n", k, v.get()));
    System.out.printf("books: %d missing, %d listed twice, %d not ended, %d started without a receipt%n", missing, twice,
        unended, noReceipt);
    System.out.printf("receipts verified offline: %d of %d sampled%n", verified, verified + verifyFailed);
    System.out.printf("healthz: %d probes, p50 %d ms, p99 %d ms, max %d ms, %d at or over 100 ms, %d failed%n", h.size(), p50,
        p99, max, healthSlow.get(), healthFailed.get());
    System.out.println("samples (minute, rss MiB, heap used MiB, threads):");
    synchronized (samples) {
      for (int i = 0; i < samples.size(); i += Math.max(1, samples.size() / 24)) {
        long[] s = samples.get(i);
        System.out.printf("  %5.1f %6d %6d %5d%n", s[0] / 60.0, s[1] >> 20, s[2] >> 20, s[3]);
      }
    }
    System.out.printf("retention %s: %d jobs held past it at a listing%n", RETENTION, keptPastRetention.get());
    // Flat: once jobs are forgotten as fast as they come (retention + 10 min), the last 10 minutes'
    // mean is compared with the 10 minutes after that point.
    boolean flat = true;
    double from = RETENTION_TIME.toMinutes() + 10;
    if (minutes() >= from + 20) {
      double[] a = window(from, from + 10);
      double[] b = window(minutes() - 10, minutes());
      double rssGrowth = (b[0] - a[0]) / a[0];
      System.out.printf(
          "steady state: minutes %.0f-%.0f rss %.1f MiB heap %.1f MiB threads %.1f; last 10 minutes rss %.1f MiB heap %.1f MiB"
              + " threads %.1f; rss %+.1f%%%n",
          from, from + 10, a[0], a[1], a[2], b[0], b[1], b[2], rssGrowth * 100);
      flat = rssGrowth < 0.05 && b[2] <= a[2] + 3;
      System.out.println(flat ? "rss and threads flat (under 5% and 3 threads)" : "NOT FLAT");
    } else {
      System.out.println("too short to judge flatness (needs " + (from + 20) + " minutes)");
    }
    boolean ok = missing == 0 && twice == 0 && unended == 0 && noReceipt == 0 && verifyFailed == 0
        && healthFailed.get() == 0 && healthSlow.get() == 0 && keptPastRetention.get() == 0 && flat;
    System.out.println(ok ? "PASS" : "FAIL");
    if (!ok) {
      System.exit(1);
    }
  }

  /** Mean rss (MiB), heap used (MiB) and threads of the samples taken between two minutes. */
  double[] window(double fromMinute, double toMinute) {
    double[] sum = new double[3];
    int n = 0;
    synchronized (samples) {
      for (long[] x : samples) {
        double m = x[0] / 60.0;
        if (m >= fromMinute && m < toMinute) {
          sum[0] += x[1] / 1048576.0;
          sum[1] += x[2] / 1048576.0;
          sum[2] += x[3];
          n++;
        }
      }
    }
    for (int i = 0; i < 3; i++) {
      sum[i] = n == 0 ? Double.NaN : sum[i] / n;
    }
    return sum;
  }

  // ---- plumbing

  HttpResponse<String> send(String method, String path, String json) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofSeconds(90))
        .header("Authorization", "Bearer " + token);
    if (json != null) {
      b.header("Content-Type", "application/json").method(method, HttpRequest.BodyPublishers.ofString(json));
    } else {
      b.method(method, HttpRequest.BodyPublishers.noBody());
    }
    return http.send(b.build(), HttpResponse.BodyHandlers.ofString());
  }

  byte[] sendBytes(String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + token).build(),
        HttpResponse.BodyHandlers.ofByteArray()).body();
  }

  static String first(Pattern p, String s) {
    Matcher m = p.matcher(s);
    return m.find() ? m.group(1) : "";
  }

  static long num(String json, String field) {
    Matcher m = Pattern.compile("\"" + field + "\"\\s*:\\s*(-?\\d+)").matcher(json);
    return m.find() ? Long.parseLong(m.group(1)) : -1;
  }

  static void sleep(long ms) {
    try {
      Thread.sleep(ms);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  void log(String s) {
    System.err.printf("[%6.1f min] %s%n", minutes(), s);
  }
}
