package dev.plasm.transport.libp2p.bench;

import dev.plasm.transport.libp2p.Connection;
import dev.plasm.transport.libp2p.Host;
import dev.plasm.transport.libp2p.Multiaddr;
import dev.plasm.transport.libp2p.Stream;
import dev.plasm.transport.libp2p.testing.Json;
import java.io.BufferedReader;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The libp2p transport benchmark (bench/libp2p/run.sh): one-stream throughput and connection
 * set-up time on loopback, over TCP + Noise + Yamux and over QUIC, for js→js, Java→Java, Java→js
 * and js→Java.
 *
 * <p>Three modes. {@code server} and {@code client} are the Java side of the wire protocol that
 * src/test/js/bench.mjs also speaks (see there); {@code run} starts a server and a client
 * process per pair, in rounds that interleave the pairs so machine load drifts across all of them
 * alike, and prints medians with ratios against js→js measured in the same run.
 */
public final class TransportBench {
  static final String SINK = "/plasm/bench/sink/1.0.0";
  private static final int CHUNK = 64 * 1024;
  private static final PrintStream OUT = System.out;
  private static final java.time.Duration PAIR_LIMIT = java.time.Duration.ofMinutes(15);

  private TransportBench() {}

  public static void main(String[] args) throws Exception {
    Map<String, String> opts = options(args);
    switch (args.length == 0 ? "" : args[0]) {
      case "server" -> server(opts.getOrDefault("transport", "tcp"));
      case "client" -> client(opts);
      case "run" -> run(opts);
      default -> {
        System.err.println(
            "usage: TransportBench run [--quick] [--size MiB] [--runs N] [--dials N] [--rounds N] [--pairs js-js,...]"
                + " [--transports tcp,quic] --js-dir DIR"
                + " | server [--transport tcp|quic] | client --addr A [--size B --runs N --warmup W] [--dials D --dial-warmup DW]");
        System.exit(64);
      }
    }
  }

  private static Map<String, String> options(String[] args) {
    Map<String, String> m = new HashMap<>();
    for (int i = 1; i < args.length; i++) {
      if (!args[i].startsWith("--")) {
        throw new IllegalArgumentException("unexpected argument " + args[i]);
      }
      String key = args[i].substring(2);
      if (key.equals("quick")) {
        m.put(key, "true");
      } else if (i + 1 < args.length) {
        m.put(key, args[++i]);
      } else {
        throw new IllegalArgumentException("--" + key + " needs a value");
      }
    }
    return m;
  }

  private static long num(Map<String, String> opts, String key, long dflt) {
    String v = opts.get(key);
    return v == null ? dflt : Long.parseLong(v);
  }

  // ---- the Java side of the wire protocol ----

  private static void server(String transport) throws IOException {
    try (Host host = Host.builder().build()) {
      host.setHandler(
          SINK,
          stream -> {
            byte[] buf = new byte[CHUNK];
            long count = 0;
            InputStream in = stream.input();
            for (int n; (n = in.read(buf)) >= 0; ) {
              count += n;
            }
            OutputStream out = stream.output();
            out.write(ByteBuffer.allocate(8).putLong(count).array());
            out.flush();
          });
      Multiaddr addr =
          host.listen(
              Multiaddr.parse(
                  transport.equals("quic")
                      ? "/ip4/127.0.0.1/udp/0/quic-v1"
                      : "/ip4/127.0.0.1/tcp/0"));
      OUT.println(
          Json.write(Map.of("event", "ready", "addr", addr.withPeerId(host.peerId()).toString())));
      OUT.flush();
      // Serve until the driver closes our stdin.
      while (System.in.read() >= 0) {
        // ignore
      }
    }
  }

  private static void client(Map<String, String> opts) throws IOException {
    Multiaddr addr = Multiaddr.parse(opts.get("addr"));
    long size = num(opts, "size", 0);
    int runs = (int) num(opts, "runs", 0);
    int warmup = (int) num(opts, "warmup", 0);
    int dials = (int) num(opts, "dials", 0);
    int dialWarmup = (int) num(opts, "dial-warmup", 0);
    byte[] payload = new byte[CHUNK];
    Arrays.fill(payload, (byte) 0xa5);
    try (Host host = Host.builder().build()) {
      if (runs > 0) {
        Connection conn = host.dial(addr);
        for (int i = 0; i < warmup + runs; i++) {
          Stream s = conn.newStream(SINK);
          long started = System.nanoTime();
          OutputStream out = s.output();
          for (long sent = 0; sent < size; sent += CHUNK) {
            out.write(payload, 0, (int) Math.min(CHUNK, size - sent));
          }
          s.closeWrite();
          long got = new DataInputStream(s.input()).readLong();
          double seconds = (System.nanoTime() - started) / 1e9;
          s.close();
          if (got != size) {
            throw new IOException("sink counted " + got + " bytes, sent " + size);
          }
          if (i >= warmup) {
            emit(Map.of("kind", "throughput", "bytes", size, "seconds", seconds));
          }
        }
        conn.close();
      }
      // A failed set-up is counted (and printed by the driver), not retried, and does not stop the
      // run.
      Connection previous = null;
      for (int i = 0; i < dialWarmup + dials; i++) {
        long started = System.nanoTime();
        Connection conn = null;
        try {
          conn = host.dial(addr);
          if (conn == previous) {
            throw new IOException("dial reused the previous connection");
          }
          host.ping(conn);
          double ms = (System.nanoTime() - started) / 1e6;
          if (i >= dialWarmup) {
            emit(Map.of("kind", "dial", "ms", ms));
          }
        } catch (IOException | RuntimeException e) {
          emit(
              Map.of(
                  "kind",
                  "dialError",
                  "error",
                  String.format(
                      Locale.ROOT,
                      "dial %d failed after %.1f ms: %s",
                      i,
                      (System.nanoTime() - started) / 1e6,
                      e)));
        }
        if (conn != null) {
          conn.close();
          previous = conn;
        }
      }
      emit(Map.of("event", "done"));
    }
  }

  private static void emit(Map<String, Object> m) {
    OUT.println(Json.write(m));
    OUT.flush();
  }

  // ---- the driver ----

  enum Impl {
    JS("js"),
    JAVA("Java");

    final String label;

    Impl(String label) {
      this.label = label;
    }
  }

  record Pair(Impl client, Impl server, String transport) {
    String label() {
      return client.label + " -> " + server.label + " " + transport.toUpperCase(Locale.ROOT);
    }

    String key() {
      return (client.label + "-" + server.label).toLowerCase(Locale.ROOT);
    }

    Pair over(String t) {
      return new Pair(client, server, t);
    }
  }

  /** The samples of one pair, over all rounds. */
  static final class Samples {
    final List<Double> mibPerSecond = new ArrayList<>();
    final List<Double> dialMs = new ArrayList<>();
    final List<String> dialErrors = new ArrayList<>();
  }

  private static void run(Map<String, String> opts) throws Exception {
    boolean quick = opts.containsKey("quick");
    long sizeMiB = num(opts, "size", quick ? 64 : 256);
    int runs = (int) num(opts, "runs", quick ? 3 : 6);
    int dials = (int) num(opts, "dials", quick ? 50 : 200);
    int rounds = (int) num(opts, "rounds", quick ? 1 : 2);
    Path jsDir = Path.of(opts.getOrDefault("js-dir", "plugins/transport-libp2p/src/test/js"));
    if (!Files.isDirectory(jsDir.resolve("node_modules"))) {
      throw new IOException(
          "no node_modules in " + jsDir.toAbsolutePath() + " (the Maven build runs npm ci)");
    }
    List<Pair> kinds =
        List.of(
            new Pair(Impl.JS, Impl.JS, "tcp"),
            new Pair(Impl.JAVA, Impl.JAVA, "tcp"),
            new Pair(Impl.JAVA, Impl.JS, "tcp"),
            new Pair(Impl.JS, Impl.JAVA, "tcp"));
    List<String> transports = List.of(opts.getOrDefault("transports", "tcp,quic").split(","));
    for (String t : transports) {
      if (!t.equals("tcp") && !t.equals("quic")) {
        throw new IllegalArgumentException("unknown transport " + t + " (tcp, quic)");
      }
    }
    List<Pair> pairs = kinds;
    if (opts.containsKey("pairs")) {
      // e.g. "java-java,js-js" (for profiling one pair); ratios are then against the first listed.
      List<Pair> chosen = new ArrayList<>();
      for (String name : opts.get("pairs").split(",")) {
        chosen.add(
            pairs.stream()
                .filter(p -> p.key().equals(name.trim().toLowerCase(Locale.ROOT)))
                .findFirst()
                .orElseThrow(
                    () ->
                        new IllegalArgumentException(
                            "unknown pair " + name + " (js-js, java-java, java-js, js-java)")));
      }
      pairs = List.copyOf(chosen);
    }
    List<Pair> all = new ArrayList<>();
    for (String t : transports) {
      pairs.forEach(p -> all.add(p.over(t)));
    }
    pairs = List.copyOf(all);
    Map<Pair, Samples> results = new LinkedHashMap<>();
    pairs.forEach(p -> results.put(p, new Samples()));
    int perRound = Math.max(1, runs / rounds);
    int dialsPerRound = Math.max(1, dials / rounds);
    System.err.printf(
        Locale.ROOT,
        "libp2p transport benchmark: %d MiB one way × %d runs, %d dials per pair, %d round(s)%n",
        sizeMiB,
        perRound * rounds,
        dialsPerRound * rounds,
        rounds);
    for (int r = 0; r < rounds; r++) {
      // Alternate the order, so no pair always runs first or last in a round.
      List<Pair> order = r % 2 == 0 ? pairs : pairs.reversed();
      for (Pair p : order) {
        System.err.printf(Locale.ROOT, "  round %d/%d: %s …%n", r + 1, rounds, p.label());
        measure(p, jsDir, sizeMiB << 20, perRound, dialsPerRound, results.get(p));
      }
    }
    printTable(results, sizeMiB);
  }

  private static List<String> command(Impl impl, Path jsDir, String... args) {
    List<String> cmd = new ArrayList<>();
    if (impl == Impl.JS) {
      cmd.addAll(List.of("node", jsDir.resolve("bench.mjs").toString()));
    } else {
      cmd.add(ProcessHandle.current().info().command().orElse("java"));
      // Netty's QUIC library is loaded through JNI; it is copied to this directory (not /tmp).
      cmd.add("--enable-native-access=ALL-UNNAMED");
      String workdir = System.getProperty("io.netty.native.workdir");
      if (workdir != null) {
        cmd.add("-Dio.netty.native.workdir=" + workdir);
      }
      String extra = System.getProperty("bench.jvmArgs", "");
      if (!extra.isBlank()) {
        cmd.addAll(List.of(extra.trim().split("\\s+")));
      }
      cmd.addAll(
          List.of("-cp", System.getProperty("java.class.path"), TransportBench.class.getName()));
    }
    cmd.addAll(List.of(args));
    return cmd;
  }

  private static void measure(Pair pair, Path jsDir, long size, int runs, int dials, Samples into)
      throws Exception {
    Process server =
        new ProcessBuilder(command(pair.server(), jsDir, "server", "--transport", pair.transport()))
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    try {
      BufferedReader sout =
          new BufferedReader(
              new InputStreamReader(server.getInputStream(), StandardCharsets.UTF_8));
      String addr = null;
      for (String line; addr == null && (line = sout.readLine()) != null; ) {
        if (line.startsWith("{") && "ready".equals(Json.object(line).get("event"))) {
          addr = (String) Json.object(line).get("addr");
        }
      }
      if (addr == null) {
        throw new IOException(pair.server().label + " server did not start");
      }
      Process client =
          new ProcessBuilder(
                  command(
                      pair.client(),
                      jsDir,
                      "client",
                      "--addr",
                      addr,
                      "--size",
                      Long.toString(size),
                      "--runs",
                      Integer.toString(runs),
                      "--warmup",
                      "2",
                      "--dials",
                      Integer.toString(dials),
                      "--dial-warmup",
                      "20"))
              .redirectError(ProcessBuilder.Redirect.INHERIT)
              .start();
      // A hung client (or server) must not hang the benchmark: both are killed after the limit.
      Thread watchdog =
          Thread.ofVirtual()
              .start(
                  () -> {
                    try {
                      Thread.sleep(PAIR_LIMIT);
                      System.err.println(
                          pair.label()
                              + ": no result after "
                              + PAIR_LIMIT
                              + "; killing the processes");
                      client.destroyForcibly();
                      server.destroyForcibly();
                    } catch (InterruptedException done) {
                      // finished in time
                    }
                  });
      try {
        BufferedReader cout =
            new BufferedReader(
                new InputStreamReader(client.getInputStream(), StandardCharsets.UTF_8));
        boolean done = false;
        for (String line; (line = cout.readLine()) != null; ) {
          if (!line.startsWith("{")) {
            continue;
          }
          Map<String, Object> m = Json.object(line);
          if ("throughput".equals(m.get("kind"))) {
            into.mibPerSecond.add(
                ((Number) m.get("bytes")).doubleValue()
                    / (1 << 20)
                    / ((Number) m.get("seconds")).doubleValue());
          } else if ("dial".equals(m.get("kind"))) {
            into.dialMs.add(((Number) m.get("ms")).doubleValue());
          } else if ("dialError".equals(m.get("kind"))) {
            into.dialErrors.add((String) m.get("error"));
          } else if ("done".equals(m.get("event"))) {
            done = true;
          }
        }
        if (!client.waitFor(60, TimeUnit.SECONDS) || client.exitValue() != 0 || !done) {
          throw new IOException(
              pair.label()
                  + ": the "
                  + pair.client().label
                  + " client failed (exit "
                  + (client.isAlive() ? "none" : client.exitValue())
                  + ")");
        }
      } finally {
        watchdog.interrupt();
        client.destroyForcibly();
      }
    } finally {
      server.getOutputStream().close();
      if (!server.waitFor(10, TimeUnit.SECONDS)) {
        server.destroyForcibly();
      }
    }
  }

  static double percentile(List<Double> xs, double p) {
    double[] s = xs.stream().mapToDouble(Double::doubleValue).sorted().toArray();
    if (s.length == 0) {
      return Double.NaN;
    }
    if (p == 50) {
      return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }
    return s[Math.min(s.length - 1, (int) Math.ceil(p / 100 * s.length) - 1)];
  }

  /**
   * One row per pair and transport. "vs js" compares with js -> js over the same transport, "vs TCP"
   * a QUIC row with the same pair over TCP; above 1 is faster.
   */
  private static void printTable(Map<Pair, Samples> results, long sizeMiB) {
    OUT.printf(
        Locale.ROOT,
        "%nOne stream, %d MiB one way, and connection set-up up to the first ping round trip, on loopback."
            + "%nTCP: TCP + mss + Noise + Yamux; QUIC: QUIC v1 + TLS 1.3. Identify runs on every connection in both stacks."
            + "%nvs js: against js -> js over the same transport; vs TCP: against the same pair over TCP; above 1 is faster.%n%n",
        sizeMiB);
    OUT.printf(
        Locale.ROOT,
        "| %-17s | %14s | %5s | %6s | %4s | %13s | %10s | %5s | %6s | %4s | %6s |%n",
        "pair",
        "MiB/s (median)",
        "vs js",
        "vs TCP",
        "runs",
        "set-up median",
        "set-up p99",
        "vs js",
        "vs TCP",
        "n",
        "failed");
    OUT.println(
        "|-------------------|---------------:|------:|-------:|-----:|--------------:|-----------:|------:|-------:|-----:|-------:|");
    for (Map.Entry<Pair, Samples> e : results.entrySet()) {
      Pair p = e.getKey();
      Samples s = e.getValue();
      double t = percentile(s.mibPerSecond, 50);
      double d = percentile(s.dialMs, 50);
      Samples js = results.get(new Pair(Impl.JS, Impl.JS, p.transport()));
      Samples tcp = p.transport().equals("tcp") ? null : results.get(p.over("tcp"));
      OUT.printf(
          Locale.ROOT,
          "| %-17s | %14.1f | %5s | %6s | %4d | %10.2f ms | %7.2f ms | %5s | %6s | %4d | %6d |%n",
          p.label(),
          t,
          ratio(t, js == null ? null : percentile(js.mibPerSecond, 50)),
          ratio(t, tcp == null ? null : percentile(tcp.mibPerSecond, 50)),
          s.mibPerSecond.size(),
          d,
          percentile(s.dialMs, 99),
          ratio(js == null ? null : percentile(js.dialMs, 50), d),
          ratio(tcp == null ? null : percentile(tcp.dialMs, 50), d),
          s.dialMs.size(),
          s.dialErrors.size());
    }
    for (Map.Entry<Pair, Samples> e : results.entrySet()) {
      for (String err : e.getValue().dialErrors) {
        OUT.println("  " + e.getKey().label() + " set-up failure: " + err);
      }
    }
  }

  /** {@code a / b} formatted, or "-" when there is nothing to compare with. */
  private static String ratio(Double a, Double b) {
    return a == null || b == null || b == 0 || a.isNaN() || b.isNaN()
        ? "-"
        : String.format(Locale.ROOT, "%.2f", a / b);
  }
}
