package dev.plasm.transport.libp2p.internal.yamux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.transport.libp2p.testing.SocketPair;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.IOException;
import java.net.Socket;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Receive-window growth: a stream whose reader keeps up grows its window from 256 KiB to {@link
 * YamuxConfig#MAX_WINDOW}; one whose reader falls behind never does; growth is bounded per session.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class YamuxWindowTests {
  private static final YamuxConfig QUIET =
      YamuxConfig.DEFAULTS.withKeepAlive(Duration.ZERO, Duration.ofSeconds(5));
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  private record Pair(
      YamuxSession client, YamuxSession server, BlockingQueue<YamuxStream> accepted) {}

  private Pair pair() throws IOException {
    SocketPair p = SocketPair.open();
    toClose.add(p);
    p.client().setSoTimeout(0);
    p.server().setSoTimeout(0);
    BlockingQueue<YamuxStream> accepted = new ArrayBlockingQueue<>(16);
    YamuxSession c = session(p.client(), true, s -> s.reset());
    YamuxSession s = session(p.server(), false, accepted::add);
    toClose.add(c);
    toClose.add(s);
    return new Pair(c, s, accepted);
  }

  private static YamuxSession session(
      Socket socket, boolean client, java.util.function.Consumer<YamuxStream> handler)
      throws IOException {
    YamuxSession s =
        new YamuxSession(
            new BufferedInputStream(socket.getInputStream()),
            new BufferedOutputStream(socket.getOutputStream(), 65536),
            socket,
            client,
            QUIET,
            handler,
            client ? "client" : "server");
    s.start();
    return s;
  }

  private static CompletableFuture<Void> write(YamuxStream s, byte[] data) {
    return CompletableFuture.runAsync(
        () -> {
          try {
            for (int off = 0; off < data.length; off += 65536) {
              s.output().write(data, off, Math.min(65536, data.length - off));
            }
            s.closeWrite();
          } catch (IOException e) {
            throw new RuntimeException(e);
          }
        });
  }

  @Test
  void aReaderThatKeepsUpGrowsTheWindowAndTheBudgetReturnsWhenTheStreamEnds() throws Exception {
    Pair p = pair();
    YamuxStream s = p.client().openStream();
    byte[] data = new byte[24 * 1024 * 1024];
    new Random(11).nextBytes(data);
    CompletableFuture<Void> writer = write(s, data);
    YamuxStream remote = p.accepted().poll(10, TimeUnit.SECONDS);
    byte[] got = remote.input().readAllBytes();
    writer.get(30, TimeUnit.SECONDS);
    assertArrayEquals(
        MessageDigest.getInstance("SHA-256").digest(data),
        MessageDigest.getInstance("SHA-256").digest(got));
    // 24 MiB read as fast as it arrives: the window doubled to its maximum on the way.
    assertEquals(YamuxConfig.MAX_WINDOW - YamuxConfig.INITIAL_WINDOW, remote.extraWindow());
    assertEquals(
        YamuxConfig.SESSION_WINDOW_BUDGET - remote.extraWindow(), p.server().windowBudgetLeft());
    // Both sides closed: the stream is gone and its growth goes back to the session.
    remote.closeWrite();
    s.input().readAllBytes();
    waitUntil(
        () -> p.server().windowBudgetLeft() == YamuxConfig.SESSION_WINDOW_BUDGET,
        "the budget is returned");
  }

  @Test
  void aReaderThatFallsBehindKeepsTheInitialWindow() throws Exception {
    Pair p = pair();
    YamuxStream s = p.client().openStream();
    byte[] data = new byte[4 * 1024 * 1024];
    new Random(12).nextBytes(data);
    CompletableFuture<Void> writer = write(s, data);
    YamuxStream remote = p.accepted().poll(10, TimeUnit.SECONDS);
    // Read only once the peer has filled the whole window, and then only half of it: the reader
    // never catches up, so each window update finds data still buffered.
    byte[] got = new byte[data.length];
    int off = 0;
    while (off < data.length) {
      int want = Math.min(YamuxConfig.INITIAL_WINDOW, data.length - off);
      waitUntil(() -> remote.bufferedBytes() >= want, "the peer fills the window");
      assertTrue(
          remote.bufferedBytes() <= YamuxConfig.INITIAL_WINDOW,
          "never more than the initial window buffered");
      int half = Math.min(YamuxConfig.INITIAL_WINDOW / 2, data.length - off);
      if (off + half == data.length) {
        // The last read drains the buffer: had the peer's FIN not arrived yet, that would be a
        // reader keeping up (and the window would rightly grow). Let the FIN arrive first.
        writer.get(30, TimeUnit.SECONDS);
        waitUntil(remote::finReceived, "the peer's FIN arrives");
      }
      off += remote.input().readNBytes(got, off, half);
    }
    writer.get(30, TimeUnit.SECONDS);
    assertArrayEquals(data, got);
    assertEquals(0, remote.extraWindow(), "a slow reader's window does not grow");
    assertEquals(YamuxConfig.SESSION_WINDOW_BUDGET, p.server().windowBudgetLeft());
  }

  @Test
  void growthIsBoundedByTheSessionBudget() throws Exception {
    Pair p = pair();
    YamuxSession session = p.server();
    assertEquals(
        YamuxConfig.SESSION_WINDOW_BUDGET - 1,
        session.reserveWindow(YamuxConfig.SESSION_WINDOW_BUDGET - 1));
    assertEquals(1, session.reserveWindow(YamuxConfig.MAX_WINDOW));
    assertEquals(0, session.reserveWindow(YamuxConfig.MAX_WINDOW));
    // With the budget spent, a fast reader keeps the initial window (and still gets all the data).
    YamuxStream s = p.client().openStream();
    byte[] data = new byte[8 * 1024 * 1024];
    new Random(13).nextBytes(data);
    CompletableFuture<Void> writer = write(s, data);
    YamuxStream remote = p.accepted().poll(10, TimeUnit.SECONDS);
    assertArrayEquals(data, remote.input().readAllBytes());
    writer.get(30, TimeUnit.SECONDS);
    assertEquals(0, remote.extraWindow());
  }

  private static void waitUntil(java.util.function.BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(5);
    }
  }
}
