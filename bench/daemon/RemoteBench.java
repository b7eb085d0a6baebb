import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Jobs across peers, measured (bench/daemon/remote.sh runs it; results in docs/performance.md):
 * five image daemons on 127.0.0.1 (A sends, B-E run other peers' jobs), then
 * <ol>
 *   <li>the latency a remote hello adds over a local one, both submitted to A with {@code ?wait},
 *       interleaved, medians and tails;
 *   <li>remote jobs per second with 16 clients submitting to A, run by B-E;
 *   <li>module transfer: a 10 MiB module run once on B (fetched from A by hash) and again (cached),
 *       the difference over 10 MiB.
 * </ol>
 * JDK only: {@code java RemoteBench.java --image DIR --repo DIR [--jobs N] [--seconds S] [--warmup W]}.
 */
public final class RemoteBench {
  static final Pattern ADDRESS = Pattern.compile("\"address\"\\s*:\\s*\"([^\"]+)\"");
  static final Pattern KIND = Pattern.compile("\"kind\"\\s*:\\s*\"([a-z-]+)\"");
  static final Pattern STATE = Pattern.compile("\"state\"\\s*:\\s*\"([a-z]+)\"");

  record Node(Process process, String base, String token, String peerId, Path state) {}

  final Path image;
  final Path scratch;
  /** Jobs each node runs before anything is measured (A its own, each executor jobs pinned to it). */
  int warmup;
  final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  final List<Node> nodes = new ArrayList<>();

  RemoteBench(Path image) throws Exception {
    this.image = image;
    this.scratch = Files.createTempDirectory("plasm-remote-bench");
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> a = new HashMap<>();
    for (int i = 0; i + 1 < args.length; i += 2) {
      a.put(args[i].replaceFirst("^--", ""), args[i + 1]);
    }
    RemoteBench b = new RemoteBench(Path.of(a.get("image")));
    Path repo = Path.of(a.getOrDefault("repo", "."));
    int jobs = Integer.parseInt(a.getOrDefault("jobs", "200"));
    int seconds = Integer.parseInt(a.getOrDefault("seconds", "20"));
    b.warmup = Integer.parseInt(a.getOrDefault("warmup", "400"));
    try {
      b.run(Files.readAllBytes(repo.resolve("examples/hello.wasm")), jobs, seconds);
    } finally {
      for (Node n : b.nodes) {
        n.process().destroy();
      }
      for (Node n : b.nodes) {
        n.process().waitFor(30, TimeUnit.SECONDS);
        n.process().destroyForcibly();
      }
      if (a.containsKey("keep")) {
        System.out.println("state and logs kept in " + b.scratch);
      } else {
        try (var walk = Files.walk(b.scratch)) {
          walk.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
      }
    }
  }

  Node start(String name, String toml) throws Exception {
    Path state = Files.createDirectories(scratch.resolve(name));
    Path config = scratch.resolve(name + ".toml");
    Files.writeString(config, "state-dir = \"" + state + "\"\n" + toml);
    ProcessBuilder pb = new ProcessBuilder(image.resolve("bin/plasm").toString(), "daemon", "--config", config.toString());
    pb.redirectOutput(ProcessBuilder.Redirect.DISCARD).redirectError(scratch.resolve(name + ".log").toFile());
    Process p = pb.start();
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!Files.isRegularFile(state.resolve("daemon.json")) && System.nanoTime() < until) {
      Thread.sleep(100);
    }
    Matcher m = ADDRESS.matcher(Files.readString(state.resolve("daemon.json")));
    m.find();
    String base = "http://" + m.group(1);
    String token = Files.readString(state.resolve("token")).strip();
    String node = get(base, token, "/v1/node");
    Matcher id = Pattern.compile("\"peerId\"\\s*:\\s*\"([^\"]+)\"").matcher(node);
    id.find();
    Node n = new Node(p, base, token, id.group(1), state);
    nodes.add(n);
    return n;
  }

  void run(byte[] hello, int jobs, int seconds) throws Exception {
    String p2p = "[api]\nlisten = \"127.0.0.1:0\"\n[jobs]\nqueue-capacity = 1000\n[p2p]\nenabled = true\nlisten = [\"/ip4/127.0.0.1/tcp/0\"]\n";
    Node a = start("a", p2p + "[remote]\nmax-dispatch = 1000\n");
    String peers = get(a.base(), a.token(), "/v1/peers");
    Matcher addr = Pattern.compile("\"listenAddresses\"\\s*:\\s*\\[\\s*\"([^\"]+)\"").matcher(peers);
    addr.find();
    String boot = p2p + "bootstrap = [\"" + addr.group(1) + "\"]\n[remote]\nenabled = true\noffer-interval = \"1s\"\noffer-ttl = \"30s\"\n"
        + "max-concurrent = 1000\nper-peer-concurrent = 1000\nper-peer-per-minute = 1000000\n";
    List<Node> executors = new ArrayList<>();
    for (String n : List.of("b", "c", "d", "e")) {
      executors.add(start(n, boot));
    }
    String sha = upload(a, hello);
    // Every executor offered and found before anything is measured.
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(90);
    while (count(get(a.base(), a.token(), "/v1/dht/providers/%2Fplasm%2Fexecutor?max=20"), "\"peerId\"") < 4) {
      if (System.nanoTime() > until) {
        throw new IllegalStateException("A never found the four executors");
      }
      Thread.sleep(250);
    }
    // Warm up: the module reaches every executor, connections open, JITs warm.
    for (int i = 0; i < 60; i++) {
      job(a, sha, i % 2 == 0 ? "local" : "remote");
    }
    // ... then every node as warm as the others: A runs `warmup` local jobs while each executor runs
    // as many pinned to it (4 clients each). A node in a network runs jobs all day; with a few dozen
    // jobs its JIT has compiled little of the job's path (the daemons' and the workers'), so a barely
    // warm executor against a requester that ran every local job measures the JIT, not the network.
    List<Thread> warm = new ArrayList<>();
    List<String> targets = new ArrayList<>();
    targets.add("local");
    for (Node e : executors) {
      targets.add(e.peerId());
    }
    for (String target : targets) {
      for (int w = 0; w < 4; w++) {
        warm.add(Thread.ofVirtual().start(() -> {
          for (int i = 0; i < warmup / 4; i++) {
            try {
              job(a, sha, target);
            } catch (Exception x) {
              throw new IllegalStateException("warming " + target + ": " + x.getMessage(), x);
            }
          }
        }));
      }
    }
    long warmStart = System.nanoTime();
    for (Thread t : warm) {
      t.join();
    }
    System.out.printf("warm-up: %d jobs on A and on each executor in %.1f s%n", warmup / 4 * 4,
        (System.nanoTime() - warmStart) / 1e9);

    List<Long> local = new ArrayList<>();
    List<Long> remote = new ArrayList<>();
    List<Timed> localRuns = new ArrayList<>();
    List<Timed> remoteRuns = new ArrayList<>();
    for (int i = 0; i < jobs; i++) {
      Timed l = timed(a, sha, "local");
      Timed r = timed(a, sha, "remote");
      local.add(l.nanos());
      remote.add(r.nanos());
      localRuns.add(l);
      remoteRuns.add(r);
    }
    Collections.sort(local);
    Collections.sort(remote);
    System.out.printf("latency, %d jobs each, interleaved (submit with ?wait to result, ms):%n", jobs);
    System.out.printf("  local   p50 %6.2f  p90 %6.2f  p99 %6.2f%n", ms(local, 0.5), ms(local, 0.9), ms(local, 0.99));
    System.out.printf("  remote  p50 %6.2f  p90 %6.2f  p99 %6.2f%n", ms(remote, 0.5), ms(remote, 0.9), ms(remote, 0.99));
    System.out.printf("  added   p50 %6.2f ms (target under 10), ratio %.2fx%n", ms(remote, 0.5) - ms(local, 0.5),
        ms(remote, 0.5) / ms(local, 0.5));

    stages(a, localRuns, remoteRuns);

    for (String placement : List.of("local", "remote")) {
      AtomicLong done = new AtomicLong();
      AtomicLong failed = new AtomicLong();
      long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
      List<Thread> ts = new ArrayList<>();
      for (int c = 0; c < 16; c++) {
        ts.add(Thread.ofVirtual().start(() -> {
          while (System.nanoTime() < end) {
            try {
              job(a, sha, placement);
              done.incrementAndGet();
            } catch (Exception e) {
              failed.incrementAndGet();
            }
          }
        }));
      }
      for (Thread t : ts) {
        t.join();
      }
      System.out.printf("throughput, 16 clients on A, %s: %.1f jobs/s (%d failed)%n", placement,
          done.get() / (double) seconds, failed.get());
    }

    // 10 MiB: hello with a custom section of padding, three times with different padding (three
    // hashes), each run on B twice: fetched, then cached. A single pair is at the mercy of one slow
    // run; the medians are not.
    Node b = executors.get(0);
    List<Long> firsts = new ArrayList<>();
    List<Long> seconds2 = new ArrayList<>();
    int bigBytes = 0;
    for (int k = 0; k < 3; k++) {
      byte[] big = pad(hello, 10 << 20, (byte) k);
      bigBytes = big.length;
      String bigSha = upload(a, big);
      long t0 = System.nanoTime();
      job(a, bigSha, b.peerId());
      firsts.add(System.nanoTime() - t0);
      t0 = System.nanoTime();
      job(a, bigSha, b.peerId());
      seconds2.add(System.nanoTime() - t0);
    }
    Collections.sort(firsts);
    Collections.sort(seconds2);
    double first = firsts.get(1) / 1e6;
    double second = seconds2.get(1) / 1e6;
    double transfer = (first - second) / 1000;
    System.out.printf("module transfer, %d bytes A -> B (median of 3 modules): first run %.0f ms, cached %.0f ms,"
        + " transfer %.0f ms = %.1f MiB/s%n", bigBytes, first, second, transfer * 1000, bigBytes / 1048576.0 / transfer);
  }

  static byte[] pad(byte[] wasm, int bytes, byte fill) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    out.writeBytes(wasm);
    byte[] name = "plasm-bench-padding".getBytes();
    ByteArrayOutputStream body = new ByteArrayOutputStream();
    leb(body, name.length);
    body.writeBytes(name);
    byte[] padding = new byte[bytes];
    java.util.Arrays.fill(padding, fill);
    body.writeBytes(padding);
    out.write(0);
    leb(out, body.size());
    out.writeBytes(body.toByteArray());
    return out.toByteArray();
  }

  static void leb(ByteArrayOutputStream out, long v) {
    do {
      int b = (int) (v & 0x7f);
      v >>>= 7;
      out.write(v != 0 ? b | 0x80 : b);
    } while (v != 0);
  }

  /** One job as the client saw it: its id, when it was sent and answered (wall clock), and how long. */
  record Timed(String id, java.time.Instant sent, java.time.Instant answered, long nanos) {}

  static final Pattern ID = Pattern.compile("\"id\"\\s*:\\s*\"([0-9a-f]{12}-[0-9a-f]{16})\"");

  Timed timed(Node a, String sha, String placement) throws Exception {
    java.time.Instant sent = java.time.Instant.now();
    long t0 = System.nanoTime();
    String body = submit(a, sha, placement);
    long ns = System.nanoTime() - t0;
    java.time.Instant answered = java.time.Instant.now();
    Matcher m = ID.matcher(body);
    m.find();
    return new Timed(m.group(1), sent, answered, ns);
  }

  static java.time.Instant at(String json, String field) {
    Matcher m = Pattern.compile("\"" + field + "\"\\s*:\\s*\"([^\"]+)\"").matcher(json);
    return m.find() ? java.time.Instant.parse(m.group(1)) : null;
  }

  /**
   * Where a job's time goes, from the timestamps the nodes record (same machine, same clock): the
   * median of each stage over the measured jobs, local and remote.
   */
  void stages(Node a, List<Timed> localRuns, List<Timed> remoteRuns) throws Exception {
    Map<String, Node> byPeer = new HashMap<>();
    for (Node n : nodes) {
      byPeer.put(n.peerId(), n);
    }
    String[] localNames = {"client -> A accepted", "A accepted -> A started (durable queued, queue)",
        "A started -> A finished (run in A's worker)", "A finished -> client answered"};
    List<java.time.Instant[]> local = new ArrayList<>();
    for (Timed t : localRuns) {
      String j = get(a.base(), a.token(), "/v1/jobs/" + t.id());
      local.add(new java.time.Instant[] {t.sent(), at(j, "createdAt"), at(j, "startedAt"), at(j, "finishedAt"),
          t.answered()});
    }
    String[] remoteNames = {"client -> A accepted", "A accepted -> attempt recorded (durable queued, choice)",
        "attempt -> B accepted (durable attempt, stream, request)", "B accepted -> B started (durable queued, queue)",
        "B started -> B finished (run in B's worker)", "B finished -> A has the result (B's end, answer, A's checks)",
        "A has the result -> A finished (A's end, durable)", "A finished -> client answered"};
    List<java.time.Instant[]> remote = new ArrayList<>();
    for (Timed t : remoteRuns) {
      String j = get(a.base(), a.token(), "/v1/jobs/" + t.id());
      String attempt = j.substring(j.indexOf("\"attempts\""));
      Matcher peer = Pattern.compile("\"peerId\"\\s*:\\s*\"([^\"]+)\"").matcher(attempt);
      peer.find();
      Matcher ej = Pattern.compile("\"executorJobId\"\\s*:\\s*\"([^\"]+)\"").matcher(attempt);
      ej.find();
      Node b = byPeer.get(peer.group(1));
      String bj = get(b.base(), b.token(), "/v1/jobs/" + ej.group(1));
      remote.add(new java.time.Instant[] {t.sent(), at(j, "createdAt"), at(attempt, "startedAt"), at(bj, "createdAt"),
          at(bj, "startedAt"), at(bj, "finishedAt"), at(attempt, "endedAt"), at(j, "finishedAt"), t.answered()});
    }
    System.out.println("stages (median ms over the measured jobs, from the nodes' own timestamps):");
    printStages("local", localNames, local);
    printStages("remote", remoteNames, remote);
  }

  /** Prints the median of each stage: the time between consecutive points of each job's timeline. */
  static void printStages(String title, String[] names, List<java.time.Instant[]> timelines) {
    System.out.println("  " + title + ":");
    for (int i = 0; i < names.length; i++) {
      List<Long> d = new ArrayList<>();
      for (java.time.Instant[] p : timelines) {
        d.add(Duration.between(p[i], p[i + 1]).toNanos());
      }
      Collections.sort(d);
      System.out.printf("    %-62s %6.2f%n", names[i], ms(d, 0.5));
    }
  }

  /** Runs one job on A with this placement and returns its submit-to-result time in ns. */
  long job(Node a, String sha, String placement) throws Exception {
    long t0 = System.nanoTime();
    submit(a, sha, placement);
    return System.nanoTime() - t0;
  }

  /** Submits one job to A with {@code ?wait} and returns the completed job's JSON. */
  String submit(Node a, String sha, String placement) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(a.base() + "/v1/jobs?wait=60s"))
        .header("Authorization", "Bearer " + a.token()).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString("{\"module\": \"" + sha + "\", \"args\": [\"bench\"], \"placement\": \""
            + placement + "\"}")).build(), HttpResponse.BodyHandlers.ofString());
    Matcher k = KIND.matcher(r.body());
    if (r.statusCode() != 202 || !k.find() || !k.group(1).equals("completed")) {
      throw new IllegalStateException(placement + ": " + r.statusCode() + " " + r.body());
    }
    return r.body();
  }

  String upload(Node n, byte[] module) throws Exception {
    HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create(n.base() + "/v1/modules"))
        .header("Authorization", "Bearer " + n.token()).header("Content-Type", "application/wasm")
        .POST(HttpRequest.BodyPublishers.ofByteArray(module)).build(), HttpResponse.BodyHandlers.ofString());
    Matcher m = Pattern.compile("\"sha256\"\\s*:\\s*\"([0-9a-f]{64})\"").matcher(r.body());
    m.find();
    return m.group(1);
  }

  String get(String base, String token, String path) throws Exception {
    return http.send(HttpRequest.newBuilder(URI.create(base + path)).header("Authorization", "Bearer " + token).build(),
        HttpResponse.BodyHandlers.ofString()).body();
  }

  static int count(String s, String sub) {
    int n = 0;
    for (int i = s.indexOf(sub); i >= 0; i = s.indexOf(sub, i + 1)) {
      n++;
    }
    return n;
  }

  static double ms(List<Long> sorted, double q) {
    return sorted.get(Math.min(sorted.size() - 1, (int) (sorted.size() * q))) / 1e6;
  }
}
