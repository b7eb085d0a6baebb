package dev.plasm.transport.libp2p.testing;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Predicate;
import org.junit.jupiter.api.Assumptions;

/**
 * A test peer process driven over its JSON-line stdin/stdout: the js-libp2p peer (src/test/js/
 * peer.mjs, {@link #start}) or a Java node ({@link NodeMain}, {@link #startJava}), either possibly
 * inside a network namespace.
 *
 * <p>The process is bounded three ways: its own watchdog, exiting when its stdin closes (so it
 * dies with the JVM), and {@link #close()} destroying it if it has not exited within seconds.
 */
public class PeerProcess implements AutoCloseable {
  private static final AtomicInteger COUNTER = new AtomicInteger();

  private final Process process;
  private final OutputStream stdin;
  private final Map<Integer, CompletableFuture<Map<String, Object>>> pending =
      new ConcurrentHashMap<>();
  private final BlockingQueue<Map<String, Object>> events = new LinkedBlockingQueue<>();
  private final AtomicInteger ids = new AtomicInteger();
  private final Path log;
  private final String peerId;
  private final List<String> addrs;

  PeerProcess(Process process, Path log) throws IOException, InterruptedException {
    this.process = process;
    this.stdin = process.getOutputStream();
    this.log = log;
    BufferedReader out =
        new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
    Thread.ofVirtual().name("js-peer-stdout").start(() -> pump(out));
    Map<String, Object> ready = events.poll(30, TimeUnit.SECONDS);
    if (ready == null || !"ready".equals(ready.get("event"))) {
      process.destroyForcibly();
      throw new IOException("js peer did not start; see " + log + ":\n" + tail());
    }
    this.peerId = (String) ready.get("peerId");
    List<String> a = new ArrayList<>();
    for (Object o : (List<?>) ready.get("addrs")) {
      a.add((String) o);
    }
    this.addrs = List.copyOf(a);
  }

  /** Starts a peer with an Ed25519 key; skips the calling test if interop tests are disabled. */
  public static PeerProcess start(String... args) throws IOException, InterruptedException {
    return startIn(List.of(), args);
  }

  /**
   * Starts the js peer with {@code prefix} before the command (e.g. {@code ip netns exec <ns>});
   * skips the calling test if interop tests are disabled.
   */
  public static PeerProcess startIn(List<String> prefix, String... args)
      throws IOException, InterruptedException {
    Assumptions.assumeFalse(
        Boolean.getBoolean("libp2p.interop.skip"), "libp2p.interop.skip is set");
    String dirProp = System.getProperty("libp2p.interop.dir", "src/test/js");
    File dir = new File(dirProp);
    if (!new File(dir, "node_modules").isDirectory()) {
      throw new IOException(
          "no node_modules in " + dir.getAbsolutePath() + ": run the Maven build (it runs npm ci)");
    }
    List<String> cmd = new ArrayList<>(prefix);
    cmd.addAll(List.of("node", "peer.mjs", "--watchdog", "240"));
    cmd.addAll(List.of(args));
    return launch(cmd, dir, "peer");
  }

  /**
   * Starts a Java node ({@link NodeMain}) in its own JVM, on this JVM's class and module path, with
   * {@code prefix} before the command (e.g. {@code ip netns exec <ns>}).
   */
  public static PeerProcess startJava(List<String> prefix, String... args)
      throws IOException, InterruptedException {
    List<String> cp = new ArrayList<>();
    for (String prop : List.of("jdk.module.path", "java.class.path")) {
      String v = System.getProperty(prop);
      if (v != null && !v.isBlank()) {
        cp.add(v);
      }
    }
    Path testClasses = Path.of("target", "test-classes").toAbsolutePath();
    List<String> cmd = new ArrayList<>(prefix);
    cmd.addAll(
        List.of(
            Path.of(System.getProperty("java.home"), "bin", "java").toString(),
            "-XX:+UseSerialGC",
            "-Xmx256m",
            "--enable-native-access=ALL-UNNAMED",
            "-Dio.netty.native.workdir=" + Path.of("target", "netty-native").toAbsolutePath()));
    // -Dlibp2p.node.logging=<logging.properties> on the test JVM gives the nodes that log setup.
    String logging = System.getProperty("libp2p.node.logging");
    if (logging != null) {
      cmd.add("-Djava.util.logging.config.file=" + logging);
    }
    cmd.addAll(
        List.of(
            "-cp",
            testClasses + File.pathSeparator + String.join(File.pathSeparator, cp),
            NodeMain.class.getName(),
            "--watchdog",
            "240"));
    cmd.addAll(List.of(args));
    return launch(cmd, new File("."), "node");
  }

  private static PeerProcess launch(List<String> cmd, File dir, String kind)
      throws IOException, InterruptedException {
    Path logDir = Path.of("target", "js-peer-logs");
    Files.createDirectories(logDir);
    Path log =
        logDir.resolve(
            kind + "-" + ProcessHandle.current().pid() + "-" + COUNTER.incrementAndGet() + ".log");
    Process p = new ProcessBuilder(cmd).directory(dir).redirectError(log.toFile()).start();
    return new PeerProcess(p, log);
  }

  /** The process id, e.g. to stop (SIGSTOP) and resume (SIGCONT) it. */
  public long pid() {
    return process.pid();
  }

  public String peerId() {
    return peerId;
  }

  /** The peer's listen address including {@code /p2p/<id>}. */
  public String addr() {
    return addrs.getFirst();
  }

  /** The peer's QUIC listen address (started with {@code --quic}), including {@code /p2p/<id>}. */
  public String quicAddr() {
    return addrs.stream()
        .filter(a -> a.contains("/quic-v1/"))
        .findFirst()
        .orElseThrow(
            () ->
                new IllegalStateException(
                    "the js peer has no QUIC address (start it with --quic): " + addrs));
  }

  /** All listen addresses, each including {@code /p2p/<id>}. */
  public List<String> addrs() {
    return addrs;
  }

  /** Sends a command and waits for its answer; a js-side failure becomes an {@link IOException}. */
  public Map<String, Object> call(String cmd, Duration timeout, Object... keyValues)
      throws IOException {
    int id = ids.incrementAndGet();
    Map<String, Object> req = new LinkedHashMap<>();
    req.put("id", id);
    req.put("cmd", cmd);
    for (int k = 0; k < keyValues.length; k += 2) {
      req.put((String) keyValues[k], keyValues[k + 1]);
    }
    CompletableFuture<Map<String, Object>> answer = new CompletableFuture<>();
    pending.put(id, answer);
    synchronized (stdin) {
      stdin.write((Json.write(req) + "\n").getBytes(StandardCharsets.UTF_8));
      stdin.flush();
    }
    try {
      Map<String, Object> res = answer.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
      if (!Boolean.TRUE.equals(res.get("ok"))) {
        throw new IOException("js " + cmd + " failed: " + res.get("error"));
      }
      return res;
    } catch (TimeoutException e) {
      throw new IOException(
          "js " + cmd + " did not answer within " + timeout + "; log tail:\n" + tail());
    } catch (Exception e) {
      if (e instanceof IOException io) {
        throw io;
      }
      throw new IOException(e);
    } finally {
      pending.remove(id);
    }
  }

  public Map<String, Object> call(String cmd, Object... keyValues) throws IOException {
    return call(cmd, Duration.ofSeconds(30), keyValues);
  }

  /**
   * Sends {@code cmd} every half second until its answer passes {@code ok}; returns that answer.
   * Failed calls are retried; the last answer or error is in the assertion error.
   */
  public Map<String, Object> await(
      String cmd, Duration timeout, Predicate<Map<String, Object>> ok, Object... keyValues)
      throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    Object last = null;
    while (System.nanoTime() - deadline < 0) {
      try {
        Map<String, Object> answer = call(cmd, Duration.ofSeconds(40), keyValues);
        if (ok.test(answer)) {
          return answer;
        }
        last = answer;
      } catch (IOException e) {
        last = e.getMessage();
      }
      Thread.sleep(500);
    }
    throw new AssertionError(
        cmd + " never answered as wanted within " + timeout + "; last: " + last);
  }

  /** Freezes the process (SIGSTOP), as a stopped job or a suspended machine would. */
  public void stop() throws IOException, InterruptedException {
    signal("STOP");
  }

  /** Lets a frozen process run again (SIGCONT). */
  public void resume() throws IOException, InterruptedException {
    signal("CONT");
  }

  private void signal(String name) throws IOException, InterruptedException {
    Process kill =
        new ProcessBuilder("kill", "-" + name, Long.toString(process.pid())).inheritIO().start();
    if (!kill.waitFor(10, TimeUnit.SECONDS) || kill.exitValue() != 0) {
      throw new IOException("kill -" + name + " " + process.pid() + " failed");
    }
  }

  /** The next event line ({@code {"event": ...}}), or null after the timeout. */
  public Map<String, Object> nextEvent(Duration timeout) throws InterruptedException {
    return events.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }

  private void pump(BufferedReader out) {
    try {
      for (String line; (line = out.readLine()) != null; ) {
        Map<String, Object> msg;
        try {
          msg = Json.object(line);
        } catch (RuntimeException e) {
          continue; // not ours (a library printing to stdout)
        }
        Object id = msg.get("id");
        if (id instanceof Double d && pending.containsKey(d.intValue())) {
          pending.get(d.intValue()).complete(msg);
        } else if (msg.containsKey("event")) {
          events.add(msg);
        }
      }
    } catch (IOException ignored) {
      // The process ended.
    }
    pending.values().forEach(f -> f.completeExceptionally(new IOException("js peer exited")));
  }

  public String tail() {
    try {
      List<String> lines = Files.readAllLines(log);
      return String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  @Override
  public void close() {
    if (process.isAlive()) {
      try {
        resume(); // a frozen process would not see its stdin close
      } catch (IOException e) {
        process.destroyForcibly();
      } catch (InterruptedException e) {
        process.destroyForcibly();
        Thread.currentThread().interrupt();
      }
    }
    try {
      stdin.close(); // the peer stops libp2p and exits
    } catch (IOException ignored) {
      // Already gone.
    }
    try {
      if (!process.waitFor(5, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        process.waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
