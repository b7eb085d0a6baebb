package dev.plasm.transport.libp2p.internal.yamux;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.transport.libp2p.LogHook;
import dev.plasm.transport.libp2p.testing.Echo;
import dev.plasm.transport.libp2p.testing.SocketPair;
import java.io.BufferedInputStream;
import java.io.BufferedOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
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
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * Yamux Java to Java, and against a hand-driven raw peer that sends exactly the frames a test
 * needs (including hostile ones).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class YamuxTests {
  private static final YamuxConfig QUIET =
      YamuxConfig.DEFAULTS.withKeepAlive(Duration.ZERO, Duration.ofSeconds(5));
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : toClose) {
      c.close();
    }
  }

  private record Pair(YamuxSession client, YamuxSession server) {}

  private Pair pair(YamuxConfig config, Consumer<YamuxStream> serverHandler) throws IOException {
    SocketPair p = SocketPair.open();
    toClose.add(p);
    p.client().setSoTimeout(0);
    p.server().setSoTimeout(0);
    YamuxSession c = session(p.client(), true, config, s -> s.reset());
    YamuxSession s = session(p.server(), false, config, serverHandler);
    toClose.add(c);
    toClose.add(s);
    return new Pair(c, s);
  }

  private static YamuxSession session(
      Socket socket, boolean client, YamuxConfig config, Consumer<YamuxStream> handler)
      throws IOException {
    YamuxSession s =
        new YamuxSession(
            new BufferedInputStream(socket.getInputStream()),
            new BufferedOutputStream(socket.getOutputStream(), 65536),
            socket,
            client,
            config,
            handler,
            client ? "client" : "server");
    s.start();
    return s;
  }

  private static void echo(YamuxStream s) {
    try {
      s.input().transferTo(s.output());
      s.closeWrite();
    } catch (IOException e) {
      s.reset();
    }
  }

  @Test
  void severalMebibytesEchoOnOneStreamExerciseWindowsBothWays() throws Exception {
    Pair p = pair(QUIET, YamuxTests::echo);
    YamuxStream s = p.client().openStream();
    assertEquals(1, s.id() % 2, "the client opens odd stream ids");
    byte[] data = new byte[5 * 1024 * 1024 + 7];
    new Random(3).nextBytes(data);
    var reader =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return s.input().readAllBytes();
              } catch (IOException e) {
                throw new RuntimeException(e);
              }
            });
    s.output().write(data);
    s.closeWrite();
    assertArrayEquals(data, reader.get(30, TimeUnit.SECONDS));
    waitUntil(
        () -> p.client().streamCount() == 0 && p.server().streamCount() == 0,
        "both sides forget the closed stream");
  }

  /** A handler's failure is a fault of this node: said as a warning, and its stream reset. */
  @Test
  void aHandlerThatFailsIsLoggedAsAWarningAndItsStreamReset() throws Exception {
    java.util.concurrent.atomic.AtomicInteger warnings =
        new java.util.concurrent.atomic.AtomicInteger();
    try (LogHook count =
        LogHook.install(
            "dev.plasm.transport.libp2p.yamux",
            r ->
                r.getLevel() == java.util.logging.Level.WARNING
                    && r.getMessage().contains("handler for stream")
                    && r.getThrown() instanceof AssertionError,
            warnings::incrementAndGet)) {
      Pair p =
          pair(
              QUIET,
              s -> {
                throw new AssertionError("a fault in the handler");
              });
      YamuxStream s = p.client().openStream();
      s.output().write("ping".getBytes());
      assertThrows(IOException.class, () -> s.input().readAllBytes(), "the stream is reset");
      waitUntil(() -> warnings.get() == 1, "one warning for the failed handler");
    }
  }

  @Test
  void serverOpensEvenStreamsAndHalfCloseWorksBothWays() throws Exception {
    BlockingQueue<YamuxStream> accepted = new ArrayBlockingQueue<>(1);
    SocketPair sp = SocketPair.open();
    toClose.add(sp);
    YamuxSession client = session(sp.client(), true, QUIET, accepted::add);
    YamuxSession server = session(sp.server(), false, QUIET, YamuxTests::echo);
    toClose.add(client);
    toClose.add(server);
    YamuxStream s = server.openStream();
    assertEquals(0, s.id() % 2);
    s.output().write("request".getBytes());
    s.closeWrite();
    YamuxStream remote = accepted.poll(10, TimeUnit.SECONDS);
    assertEquals("request", new String(remote.input().readAllBytes()));
    // After the peer's FIN we can still write our reply.
    remote.output().write("reply".getBytes());
    remote.closeWrite();
    assertEquals("reply", new String(s.input().readAllBytes()));
    assertThrows(IOException.class, () -> s.output().write(1));
  }

  @Test
  void resetReachesThePeersReaderAndWriter() throws Exception {
    Pair p =
        pair(
            QUIET,
            s -> {
              try {
                s.input().read();
              } catch (IOException ignored) {
                // reset
              }
              s.reset();
            });
    YamuxStream s = p.client().openStream();
    s.output().write(1);
    var e = assertThrows(IOException.class, () -> s.input().read());
    assertTrue(e.getMessage().contains("reset by peer"), e.getMessage());
    assertThrows(IOException.class, () -> s.output().write(new byte[10]));
  }

  @Test
  void aSlowReaderBlocksTheWriterAtTheWindowAndBuffersNoMore() throws Exception {
    BlockingQueue<YamuxStream> accepted = new ArrayBlockingQueue<>(1);
    Pair p = pair(QUIET, accepted::add);
    YamuxStream s = p.client().openStream();
    AtomicLong written = new AtomicLong();
    byte[] chunk = new byte[8192];
    var writer =
        CompletableFuture.runAsync(
            () -> {
              try {
                for (int i = 0; i < 128; i++) { // 1 MiB
                  s.output().write(chunk);
                  written.addAndGet(chunk.length);
                }
                s.closeWrite();
              } catch (IOException e) {
                throw new RuntimeException(e);
              }
            });
    YamuxStream remote = accepted.poll(10, TimeUnit.SECONDS);
    waitUntil(() -> written.get() >= YamuxConfig.INITIAL_WINDOW, "the writer fills the window");
    Thread.sleep(300);
    assertEquals(
        YamuxConfig.INITIAL_WINDOW, written.get(), "the writer stops at the 256 KiB window");
    assertFalse(writer.isDone());
    assertTrue(remote.bufferedBytes() <= YamuxConfig.INITIAL_WINDOW);
    assertEquals(128 * 8192, remote.input().readAllBytes().length);
    writer.get(10, TimeUnit.SECONDS);
  }

  @Test
  void manyParallelStreams() throws Exception {
    Pair p = pair(QUIET, YamuxTests::echo);
    int streams = 200;
    List<CompletableFuture<Boolean>> results = new ArrayList<>();
    for (int i = 0; i < streams; i++) {
      int seed = i;
      results.add(
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  YamuxStream s = p.client().openStream();
                  byte[] data = new byte[100_000];
                  new Random(seed).nextBytes(data);
                  return MessageDigest.isEqual(
                      data,
                      Echo.roundTrip(
                          s.input(), s.output(), s::closeWrite, data, Duration.ofSeconds(30)));
                } catch (Exception e) {
                  throw new RuntimeException(e);
                }
              },
              Thread::startVirtualThread));
    }
    for (var r : results) {
      assertTrue(r.get(40, TimeUnit.SECONDS));
    }
  }

  @Test
  void pingMeasuresARoundTrip() throws Exception {
    Pair p = pair(QUIET, YamuxTests::echo);
    Duration rtt = p.client().ping(Duration.ofSeconds(5));
    assertTrue(rtt.toNanos() > 0 && rtt.toMillis() < 5000);
    assertTrue(p.server().ping(Duration.ofSeconds(5)).toNanos() > 0);
  }

  @Test
  void goAwayEndsTheSessionOnBothSides() throws Exception {
    Pair p = pair(QUIET, YamuxTests::echo);
    YamuxStream s = p.client().openStream();
    p.server().close();
    assertEquals("connection closed by peer", p.client().closed().get(5, TimeUnit.SECONDS));
    assertThrows(IOException.class, () -> s.input().read());
    assertThrows(IOException.class, () -> p.client().openStream());
  }

  // ---- a raw peer, speaking frames by hand ----

  /** The far end of a session, driven frame by frame. */
  private static final class RawPeer implements AutoCloseable {
    final Socket socket;
    final DataInputStream in;
    final OutputStream out;

    RawPeer(Socket socket) throws IOException {
      this.socket = socket;
      this.in = new DataInputStream(new BufferedInputStream(socket.getInputStream()));
      this.out = socket.getOutputStream();
    }

    void send(int type, int flags, int id, long length, byte[] payload) throws IOException {
      byte[] h = new byte[12];
      new Frame(type, flags, id, length, null, 0).writeHeader(h, 0);
      out.write(h);
      if (payload != null) {
        out.write(payload);
      }
      out.flush();
    }

    Frame read() throws IOException {
      byte[] h = new byte[12];
      in.readFully(h);
      Frame f = Frame.parseHeader(h);
      if (f.type() == Frame.TYPE_DATA) {
        in.skipNBytes(f.length());
      }
      return f;
    }

    /** Reads frames until one matches {@code type}; returns it. */
    Frame readUntil(int type) throws IOException {
      while (true) {
        Frame f = read();
        if (f.type() == type) {
          return f;
        }
      }
    }

    @Override
    public void close() throws IOException {
      socket.close();
    }
  }

  private record RawPair(YamuxSession session, RawPeer peer) {}

  private RawPair raw(YamuxConfig config, Consumer<YamuxStream> handler) throws IOException {
    SocketPair p = SocketPair.open();
    toClose.add(p);
    YamuxSession s = session(p.server(), false, config, handler);
    toClose.add(s);
    RawPeer peer = new RawPeer(p.client());
    return new RawPair(s, peer);
  }

  @Test
  void overrunningTheWindowIsAProtocolError() throws Exception {
    RawPair r = raw(QUIET, s -> {}); // never reads
    r.peer().send(Frame.TYPE_WINDOW_UPDATE, Frame.FLAG_SYN, 1, 0, null);
    assertEquals(Frame.FLAG_ACK, r.peer().readUntil(Frame.TYPE_WINDOW_UPDATE).flags());
    byte[] big = new byte[YamuxConfig.INITIAL_WINDOW];
    r.peer().send(Frame.TYPE_DATA, 0, 1, big.length, big);
    r.peer().send(Frame.TYPE_DATA, 0, 1, 1, new byte[1]);
    Frame goAway = r.peer().readUntil(Frame.TYPE_GO_AWAY);
    assertEquals(Frame.GO_AWAY_PROTOCOL_ERROR, goAway.length());
    assertTrue(r.session().closed().get(5, TimeUnit.SECONDS).contains("beyond its window"));
  }

  @Test
  void oneByteFramesArePackedNotKeptAsTinyChunks() throws Exception {
    BlockingQueue<YamuxStream> accepted = new ArrayBlockingQueue<>(1);
    RawPair r = raw(QUIET, accepted::add);
    r.peer().send(Frame.TYPE_WINDOW_UPDATE, Frame.FLAG_SYN, 1, 0, null);
    YamuxStream s = accepted.poll(10, TimeUnit.SECONDS);
    int frames = 20_000;
    java.io.ByteArrayOutputStream burst = new java.io.ByteArrayOutputStream();
    byte[] h = new byte[12];
    for (int i = 0; i < frames; i++) {
      new Frame(Frame.TYPE_DATA, 0, 1, 1, null, 0).writeHeader(h, 0);
      burst.writeBytes(h);
      burst.write(i);
    }
    r.peer().out.write(burst.toByteArray());
    r.peer().out.flush();
    waitUntil(() -> s.bufferedBytes() == frames, "all bytes arrive");
    assertTrue(s.chunkCount() <= frames / 1000 + 1, "chunks: " + s.chunkCount());
    byte[] got = s.input().readNBytes(frames);
    for (int i = 0; i < frames; i++) {
      assertEquals((byte) i, got[i]);
    }
  }

  @Test
  void streamsBeyondTheCapAreRefusedWithReset() throws Exception {
    RawPair r = raw(QUIET.withMaxInboundStreams(3), s -> {});
    for (int id = 1; id <= 7; id += 2) {
      r.peer().send(Frame.TYPE_WINDOW_UPDATE, Frame.FLAG_SYN, id, 0, null);
    }
    for (int id = 1; id <= 5; id += 2) {
      Frame ack = r.peer().readUntil(Frame.TYPE_WINDOW_UPDATE);
      assertEquals(id, ack.streamId());
      assertEquals(Frame.FLAG_ACK, ack.flags());
    }
    Frame rst = r.peer().readUntil(Frame.TYPE_WINDOW_UPDATE);
    assertEquals(7, rst.streamId());
    assertEquals(Frame.FLAG_RST, rst.flags());
    assertTrue(r.session().isOpen(), "refusing a stream is not a reason to drop the peer");
    assertEquals(3, r.session().streamCount());
  }

  /**
   * A stream that arrives while the session is closing gets no RST, only the session's end. The
   * RST used to be queued before the GoAway that the closing thread was about to queue, so a peer
   * whose first stream crossed our close saw "stream reset by peer" on a connection that still
   * looked live, and gave up instead of finding the session closed and using another connection.
   * The close is held inside its "session ends" log call (before its GoAway) while the SYN and a
   * ping arrive; the ping's answer shows the SYN was handled.
   */
  @Test
  void aStreamArrivingWhileTheSessionClosesGetsTheGoAwayNotAReset() throws Exception {
    RawPair r = raw(QUIET, s -> {});
    java.util.concurrent.CountDownLatch inShutdown = new java.util.concurrent.CountDownLatch(1);
    java.util.concurrent.CountDownLatch release = new java.util.concurrent.CountDownLatch(1);
    LogHook hold =
        LogHook.install(
            "dev.plasm.transport.libp2p.yamux",
            LogHook.message("Yamux session ends", "closer"),
            () -> {
              inShutdown.countDown();
              try {
                release.await(10, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
            });
    try {
      Thread closer = Thread.ofVirtual().name("closer").start(r.session()::close);
      assertTrue(inShutdown.await(10, TimeUnit.SECONDS), "the close reached its log call");
      r.peer().send(Frame.TYPE_WINDOW_UPDATE, Frame.FLAG_SYN, 1, 0, null);
      r.peer().send(Frame.TYPE_PING, Frame.FLAG_SYN, 0, 7, null);
      List<Frame> frames = new ArrayList<>();
      for (Frame f = r.peer().read(); f.type() != Frame.TYPE_PING; f = r.peer().read()) {
        frames.add(f);
      }
      release.countDown();
      closer.join(5000);
      try {
        while (true) {
          frames.add(r.peer().read());
        }
      } catch (java.io.EOFException | java.net.SocketException e) {
        // The session closed its transport.
      }
      assertTrue(
          frames.stream().noneMatch(f -> (f.flags() & Frame.FLAG_RST) != 0),
          "no RST for the stream that crossed the close: " + frames);
      assertTrue(
          frames.stream().anyMatch(f -> f.type() == Frame.TYPE_GO_AWAY),
          "the GoAway ends the session: " + frames);
    } finally {
      release.countDown();
      hold.close();
    }
  }

  @Test
  void pingsAreAnsweredWithTheirOpaqueValueAndStrayDataIsIgnored() throws Exception {
    RawPair r = raw(QUIET, s -> {});
    r.peer().send(Frame.TYPE_DATA, 0, 41, 5, new byte[5]); // a stream that does not exist
    r.peer().send(Frame.TYPE_PING, Frame.FLAG_SYN, 0, 0xDEADBEEFL, null);
    Frame pong = r.peer().readUntil(Frame.TYPE_PING);
    assertEquals(Frame.FLAG_ACK, pong.flags());
    assertEquals(0xDEADBEEFL, pong.length());
    assertTrue(r.session().isOpen());
  }

  @Test
  void badVersionsAndSynsOfOurParityAreProtocolErrors() throws Exception {
    RawPair r = raw(QUIET, s -> {});
    r.peer().out.write(new byte[] {1, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0});
    r.peer().out.flush();
    assertEquals(Frame.GO_AWAY_PROTOCOL_ERROR, r.peer().readUntil(Frame.TYPE_GO_AWAY).length());

    RawPair r2 = raw(QUIET, s -> {});
    r2.peer()
        .send(Frame.TYPE_WINDOW_UPDATE, Frame.FLAG_SYN, 2, 0, null); // the server owns even ids
    assertEquals(Frame.GO_AWAY_PROTOCOL_ERROR, r2.peer().readUntil(Frame.TYPE_GO_AWAY).length());
    assertTrue(r2.session().closed().get(5, TimeUnit.SECONDS).contains("parity"));
  }

  @Test
  void aSilentPeerIsDroppedByTheKeepAlive() throws Exception {
    RawPair r = raw(QUIET.withKeepAlive(Duration.ofMillis(100), Duration.ofMillis(300)), s -> {});
    Frame ping = r.peer().readUntil(Frame.TYPE_PING);
    assertEquals(Frame.FLAG_SYN, ping.flags());
    String reason = r.session().closed().get(5, TimeUnit.SECONDS);
    assertTrue(reason.contains("keep-alive"), reason);
    assertTrue(r.session().unresponsive(), "a silent peer is unresponsive");
    assertFalse(r.session().misbehaved(), "falling silent is not breaking the protocol");
  }

  @Test
  void theAckBacklogBlocksOpeningUntilThePeerAcks() throws Exception {
    YamuxConfig config =
        new YamuxConfig(256, 2, 65536, 4 << 20, 4096, Duration.ZERO, Duration.ofSeconds(5));
    RawPair r = raw(config, s -> {});
    YamuxStream a = r.session().openStream();
    r.session().openStream();
    var third =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return r.session().openStream();
              } catch (IOException e) {
                throw new RuntimeException(e);
              }
            });
    Thread.sleep(300);
    assertFalse(third.isDone(), "two streams await their ACK");
    r.peer().send(Frame.TYPE_WINDOW_UPDATE, Frame.FLAG_ACK, a.id(), 0, null);
    assertEquals(6, third.get(5, TimeUnit.SECONDS).id());
  }

  @Test
  void aPeerThatStopsReadingIsDroppedNotBufferedForever() throws Exception {
    YamuxConfig config =
        new YamuxConfig(256, 256, 65536, 1 << 20, 16, Duration.ZERO, Duration.ofSeconds(5));
    RawPair r = raw(config, s -> {});
    r.peer().socket.setReceiveBufferSize(4096);
    YamuxStream s = r.session().openStream();
    // Grant a huge window, then never read: our writer blocks once the TCP buffers are full.
    r.peer().send(Frame.TYPE_WINDOW_UPDATE, Frame.FLAG_ACK, s.id(), 64L << 20, null);
    var writer =
        CompletableFuture.runAsync(
            () -> {
              try {
                s.output().write(new byte[32 << 20]);
              } catch (IOException expected) {
                // the session is dropped under the writer
              }
            });
    Thread.sleep(500);
    assertFalse(writer.isDone(), "the application writer is held back, not buffered without bound");
    for (int i = 0; i < 100 && r.session().isOpen(); i++) {
      r.peer().send(Frame.TYPE_PING, Frame.FLAG_SYN, 0, i, null);
    }
    String reason = r.session().closed().get(10, TimeUnit.SECONDS);
    assertTrue(reason.contains("not reading"), reason);
    writer.get(10, TimeUnit.SECONDS);
  }

  private static void waitUntil(java.util.function.BooleanSupplier condition, String what)
      throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting until " + what);
      }
      Thread.sleep(10);
    }
  }
}
