package dev.plasm.transport.libp2p.internal.yamux;

import java.io.Closeable;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.lang.System.Logger.Level;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Consumer;

/**
 * A Yamux session over one secured byte stream (libp2p/specs yamux/README.md).
 *
 * <p>Threads: one virtual reader thread parses frames and only ever appends to stream buffers or
 * queues control frames, so it never blocks on the application or on the peer reading; one
 * virtual writer thread drains an outbound queue (control frames first) into the byte stream;
 * application threads block on their own stream's window. This avoids the classic deadlock of two
 * peers each blocked writing while neither reads.
 *
 * <p>Limits that keep a misbehaving peer from exhausting memory: inbound streams are capped
 * ({@link YamuxConfig#maxInboundStreams}, excess SYNs get RST), each stream buffers at most its
 * 256 KiB window (overrunning it is a protocol error), queued outbound data is capped (writers
 * block), and a peer that lets control frames pile up or sends malformed frames is dropped with a
 * log line; one that stops answering keep-alive pings is closed as unresponsive.
 */
public final class YamuxSession implements Closeable {
  private static final System.Logger LOG = System.getLogger("dev.plasm.transport.libp2p.yamux");
  private static final int MAX_PENDING_PINGS = 16;
  private static final Duration ACK_BACKLOG_WAIT = Duration.ofSeconds(30);

  private final InputStream in;
  private final OutputStream out;
  private final Closeable transport;
  private final boolean client;
  private final YamuxConfig config;
  private final Consumer<YamuxStream> onInbound;
  private final String label;

  private final ConcurrentHashMap<Integer, YamuxStream> streams = new ConcurrentHashMap<>();
  private final ReentrantLock stateLock = new ReentrantLock();
  private final Condition ackBacklogChanged = stateLock.newCondition();
  private int nextStreamId;
  private int unackedOutbound;
  private int inboundOpen;
  private volatile boolean goAwayReceived;
  private volatile boolean goAwaySent;

  /** SYNs refused since the last accepted one; a peer that keeps pushing past the cap is flooding. */
  private int refusedInARow;

  /** When a stream last opened or ended (System.nanoTime), for idle detection. */
  private volatile long lastStreamActivity = System.nanoTime();

  private volatile boolean misbehaved;

  /** The session ended because a keep-alive ping went unanswered (frozen or vanished peer). */
  private volatile boolean unresponsive;

  private final ReentrantLock queueLock = new ReentrantLock();
  private final Condition queueNotEmpty = queueLock.newCondition();
  private final Condition queueNotFull = queueLock.newCondition();
  private final ArrayDeque<Frame> controlQueue = new ArrayDeque<>();
  private final ArrayDeque<Frame> dataQueue = new ArrayDeque<>();
  private long queuedDataBytes;
  private boolean writerStop;

  /** What is left of {@link YamuxConfig#SESSION_WINDOW_BUDGET} for growing stream windows. */
  private final AtomicLong windowBudget = new AtomicLong(YamuxConfig.SESSION_WINDOW_BUDGET);

  private final ConcurrentHashMap<Long, CompletableFuture<Long>> pendingPings =
      new ConcurrentHashMap<>();
  private final AtomicLong pingIds = new AtomicLong();
  private final AtomicBoolean closing = new AtomicBoolean();
  private final CompletableFuture<String> closed = new CompletableFuture<>();
  private volatile String closeReason;
  private Thread reader;
  private Thread writer;

  /**
   * @param client true for the dialer's side (odd stream ids), false for the listener's (even ids)
   * @param onInbound receives each accepted inbound stream, on a fresh virtual thread
   * @param transport closed when the session ends
   */
  public YamuxSession(
      InputStream in,
      OutputStream out,
      Closeable transport,
      boolean client,
      YamuxConfig config,
      Consumer<YamuxStream> onInbound,
      String label) {
    this.in = in;
    this.out = out;
    this.transport = transport;
    this.client = client;
    this.config = config;
    this.onInbound = onInbound;
    this.label = label;
    this.nextStreamId = client ? 1 : 2;
  }

  public void start() {
    reader = Thread.ofVirtual().name("yamux-reader " + label).start(this::readLoop);
    writer = Thread.ofVirtual().name("yamux-writer " + label).start(this::writeLoop);
    if (!config.keepAliveInterval().isZero()) {
      Thread.ofVirtual().name("yamux-keepalive " + label).start(this::keepAliveLoop);
    }
  }

  /** Opens an outbound stream; its SYN goes out at once, data may follow before the ACK. */
  public YamuxStream openStream() throws IOException {
    YamuxStream s;
    stateLock.lock();
    try {
      long deadline = System.nanoTime() + ACK_BACKLOG_WAIT.toNanos();
      while (unackedOutbound >= config.maxAckBacklog() && isOpen()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          throw new IOException(
              "Yamux: " + unackedOutbound + " streams still await the peer's ACK");
        }
        ackBacklogChanged.awaitNanos(left);
      }
      checkCanOpen();
      if (nextStreamId < 0) {
        throw new IOException("Yamux: stream ids exhausted on this session");
      }
      int id = nextStreamId;
      nextStreamId += 2;
      s = new YamuxStream(this, id, true, YamuxConfig.INITIAL_WINDOW);
      unackedOutbound++;
      streams.put(id, s);
      lastStreamActivity = System.nanoTime();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while opening a stream", e);
    } finally {
      stateLock.unlock();
    }
    enqueueData(Frame.windowUpdate(Frame.FLAG_SYN, s.id(), 0));
    return s;
  }

  private void checkCanOpen() throws IOException {
    if (!isOpen()) {
      throw new IOException("Yamux session closed: " + closeReason);
    }
    if (goAwayReceived) {
      throw new IOException("Yamux: the peer sent GoAway; no new streams");
    }
  }

  /** Sends a ping and waits for its answer; returns the round-trip time. */
  public Duration ping(Duration timeout) throws IOException {
    if (pendingPings.size() >= MAX_PENDING_PINGS) {
      throw new IOException("Yamux: too many pings in flight");
    }
    long opaque = pingIds.incrementAndGet() & 0xFFFF_FFFFL;
    CompletableFuture<Long> answer = new CompletableFuture<>();
    pendingPings.put(opaque, answer);
    long start = System.nanoTime();
    try {
      sendControl(Frame.ping(Frame.FLAG_SYN, opaque));
      long end = answer.get(timeout.toNanos(), TimeUnit.NANOSECONDS);
      return Duration.ofNanos(end - start);
    } catch (TimeoutException e) {
      throw new IOException("Yamux ping unanswered after " + timeout.toMillis() + " ms");
    } catch (ExecutionException e) {
      throw new IOException("Yamux session closed: " + closeReason, e.getCause());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while pinging", e);
    } finally {
      pendingPings.remove(opaque);
    }
  }

  public boolean isOpen() {
    return !closing.get();
  }

  /** Open, and neither side has sent GoAway: new streams may be opened here. */
  public boolean acceptsNewStreams() {
    return isOpen() && !goAwayReceived && !goAwaySent;
  }

  /** True once the peer has sent GoAway. */
  public boolean goAwayReceived() {
    return goAwayReceived;
  }

  /** True if the session ended because the peer broke the protocol. */
  public boolean misbehaved() {
    return misbehaved;
  }

  /**
   * True if the session ended because a keep-alive ping went unanswered: the peer vanished or
   * froze, which is not misbehaving, but its routing table entries are stale.
   */
  public boolean unresponsive() {
    return unresponsive;
  }

  /** When a stream last opened or ended, as {@link System#nanoTime()}. */
  public long lastStreamActivity() {
    return lastStreamActivity;
  }

  /**
   * Sends GoAway (normal) but keeps the session: streams already open run to their end, no new
   * ones are accepted, and the owner closes the session once it is idle.
   */
  public void goAway() {
    queueLock.lock();
    try {
      if (writerStop || goAwaySent) {
        return;
      }
      goAwaySent = true;
      controlQueue.addLast(Frame.goAway(Frame.GO_AWAY_NORMAL));
      queueNotEmpty.signal();
    } finally {
      queueLock.unlock();
    }
  }

  /** Completes with the reason once the session has ended. */
  public CompletableFuture<String> closed() {
    return closed;
  }

  public int streamCount() {
    return streams.size();
  }

  /** Takes up to {@code want} bytes of window growth from the session's budget; returns how many. */
  long reserveWindow(long want) {
    while (true) {
      long left = windowBudget.get();
      long take = Math.min(left, want);
      if (take <= 0 || windowBudget.compareAndSet(left, left - take)) {
        return Math.max(0, take);
      }
    }
  }

  long windowBudgetLeft() {
    return windowBudget.get();
  }

  int maxDataFrame() {
    return config.maxDataFrame();
  }

  /** Ends the session politely: GoAway (normal), flush, close the transport. */
  @Override
  public void close() {
    shutdown(Frame.GO_AWAY_NORMAL, "closed locally", false);
  }

  // ---- outbound queue ----

  /** Queues a frame that must keep its order relative to the stream's data (SYN, data, FIN). */
  void enqueueData(Frame f) throws IOException {
    queueLock.lock();
    try {
      while (queuedDataBytes >= config.maxQueuedBytes() && !writerStop) {
        queueNotFull.await();
      }
      if (writerStop) {
        throw new IOException("Yamux session closed: " + closeReason);
      }
      dataQueue.addLast(f);
      queuedDataBytes += f.payloadLength();
      queueNotEmpty.signal();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted while writing", e);
    } finally {
      queueLock.unlock();
    }
  }

  /**
   * Queues a frame after the stream's data without waiting for queue space (a RST must not
   * overtake data written before it, and must not block).
   */
  void enqueueOrdered(Frame f) {
    queueLock.lock();
    try {
      if (!writerStop) {
        dataQueue.addLast(f);
        queueNotEmpty.signal();
      }
    } finally {
      queueLock.unlock();
    }
  }

  /**
   * Queues a control frame without ever blocking (the reader thread calls this). A peer that lets
   * too many pile up is not reading; it is dropped, from another thread.
   */
  void sendControl(Frame f) {
    boolean overflow = false;
    queueLock.lock();
    try {
      if (writerStop) {
        return;
      }
      if (controlQueue.size() >= config.maxQueuedControlFrames()) {
        overflow = true;
      } else {
        controlQueue.addLast(f);
        queueNotEmpty.signal();
      }
    } finally {
      queueLock.unlock();
    }
    if (overflow) {
      Thread.startVirtualThread(
          () ->
              shutdown(
                  Frame.GO_AWAY_INTERNAL_ERROR,
                  "peer is not reading: more than "
                      + config.maxQueuedControlFrames()
                      + " control frames queued",
                  true));
    }
  }

  private void writeLoop() {
    byte[] header = new byte[Frame.HEADER_LENGTH];
    List<Frame> batch = new ArrayList<>();
    try {
      while (true) {
        batch.clear();
        queueLock.lock();
        try {
          while (controlQueue.isEmpty() && dataQueue.isEmpty() && !writerStop) {
            queueNotEmpty.await();
          }
          if (controlQueue.isEmpty() && dataQueue.isEmpty()) {
            return;
          }
          batch.addAll(controlQueue);
          controlQueue.clear();
          long bytes = 0;
          // About 1 MiB per flush: large enough for throughput, small enough to keep control
          // frames (window updates, pongs) from waiting behind bulk data.
          while (!dataQueue.isEmpty() && bytes < 1024 * 1024) {
            Frame f = dataQueue.removeFirst();
            bytes += f.payloadLength();
            batch.add(f);
          }
          queuedDataBytes -= bytes;
          queueNotFull.signalAll();
        } finally {
          queueLock.unlock();
        }
        for (Frame f : batch) {
          f.writeHeader(header, 0);
          out.write(header);
          if (f.payloadLength() > 0) {
            out.write(f.data(), f.offset(), f.payloadLength());
          }
        }
        out.flush();
      }
    } catch (IOException e) {
      shutdown(-1, "write failed: " + e.getMessage(), false);
    } catch (InterruptedException e) {
      shutdown(-1, "writer interrupted", false);
    }
  }

  // ---- inbound frames ----

  private void readLoop() {
    byte[] header = new byte[Frame.HEADER_LENGTH];
    try {
      while (true) {
        int n = in.readNBytes(header, 0, Frame.HEADER_LENGTH);
        if (n == 0) {
          shutdown(-1, "connection closed by peer", false);
          return;
        }
        if (n < Frame.HEADER_LENGTH) {
          throw new EOFException("connection closed inside a Yamux header");
        }
        if (header[0] != Frame.VERSION) {
          protocolError("Yamux version " + (header[0] & 0xFF));
          return;
        }
        Frame f = Frame.parseHeader(header);
        String error =
            switch (f.type()) {
              case Frame.TYPE_DATA, Frame.TYPE_WINDOW_UPDATE -> onStreamFrame(f);
              case Frame.TYPE_PING -> onPing(f);
              case Frame.TYPE_GO_AWAY -> onGoAway(f);
              default -> "unknown Yamux frame type " + f.type();
            };
        if (error != null) {
          protocolError(error);
          return;
        }
      }
    } catch (IOException e) {
      // A frame failing Noise authentication is tampering; anything else is the network.
      if (isOpen()) {
        shutdown(
            -1,
            "read failed: " + e,
            e.getCause() instanceof java.security.GeneralSecurityException);
      }
    } catch (RuntimeException e) {
      if (isOpen()) {
        shutdown(Frame.GO_AWAY_INTERNAL_ERROR, "read failed: " + e, true);
      }
    }
  }

  private String onStreamFrame(Frame f) throws IOException {
    int id = f.streamId();
    int flags = f.flags();
    if (id == 0) {
      return "stream frame on stream 0";
    }
    YamuxStream s = streams.get(id);
    if ((flags & Frame.FLAG_SYN) != 0) {
      if (s != null) {
        return "SYN for stream " + id + ", which is already open";
      }
      if (isLocalId(id)) {
        return "SYN with stream id " + Integer.toUnsignedString(id) + " of our parity";
      }
      s = acceptInbound(id, f.type() == Frame.TYPE_WINDOW_UPDATE ? f.length() : 0);
    }
    if (f.type() == Frame.TYPE_DATA) {
      long len = f.length();
      if (len > 16L * 1024 * 1024) {
        return "data frame of " + len + " bytes";
      }
      if (s == null) {
        // A stream we reset or refused: its data is read and dropped.
        in.skipNBytes(len);
      } else {
        if (len > s.receiveWindow()) {
          return "stream " + id + " sent " + len + " bytes beyond its window";
        }
        // len is within the window we granted (checked above), so allocating it up front is
        // bounded; reading straight into it avoids readNBytes(int)'s intermediate buffers.
        byte[] payload = new byte[(int) len];
        if (in.readNBytes(payload, 0, payload.length) != len) {
          throw new EOFException("connection closed inside a Yamux data frame");
        }
        if (!s.onData(payload)) {
          return "stream " + id + " sent " + len + " bytes beyond its window";
        }
      }
    } else if (s != null && (flags & Frame.FLAG_SYN) == 0 && !s.onWindowUpdate(f.length())) {
      return "window update overflows stream " + id + "'s window";
    }
    if (s == null) {
      return null;
    }
    if ((flags & Frame.FLAG_ACK) != 0 && s.isOutbound() && s.onAck()) {
      ackReceived();
    }
    if ((flags & Frame.FLAG_FIN) != 0) {
      s.onFin();
    }
    if ((flags & Frame.FLAG_RST) != 0) {
      s.onReset("stream reset by peer");
    }
    return null;
  }

  private YamuxStream acceptInbound(int id, long delta) {
    if (closing.get()) {
      // No RST: the session's end answers for the stream. An RST queued here could reach the peer
      // before the GoAway that shutdown() is about to queue, and the peer would take a stream
      // crossing our close for one refused on a live connection ("stream reset by peer") instead
      // of finding the session closed and using another connection.
      LOG.log(Level.DEBUG, "{0}: ignoring stream {1}: the session is closing", label, id);
      return null;
    }
    stateLock.lock();
    boolean refuse;
    boolean flood = false;
    String why = null;
    try {
      refuse = goAwaySent || inboundOpen >= config.maxInboundStreams();
      if (refuse) {
        why =
            goAwaySent
                ? "after our GoAway"
                : "over the limit of " + config.maxInboundStreams() + " inbound streams";
        flood = !goAwaySent && ++refusedInARow > config.maxInboundStreams();
      } else {
        inboundOpen++;
        refusedInARow = 0;
      }
    } finally {
      stateLock.unlock();
    }
    if (flood) {
      // It ignored as many RSTs as it may have streams: not a burst, a flood.
      protocolError(
          "stream flood: "
              + refusedInARow
              + " streams refused in a row over the limit of "
              + config.maxInboundStreams());
      return null;
    }
    if (refuse) {
      LOG.log(Level.DEBUG, "{0}: refusing stream {1} {2}", label, id, why);
      sendControl(Frame.windowUpdate(Frame.FLAG_RST, id, 0));
      return null;
    }
    YamuxStream s = new YamuxStream(this, id, false, YamuxConfig.INITIAL_WINDOW + delta);
    streams.put(id, s);
    lastStreamActivity = System.nanoTime();
    sendControl(Frame.windowUpdate(Frame.FLAG_ACK, id, 0));
    Thread.ofVirtual()
        .name("yamux-stream " + label + "/" + id)
        .start(
            () -> {
              try {
                onInbound.accept(s);
              } catch (Throwable t) {
                // Handlers deal with their streams' I/O errors themselves: what reaches here
                // is a fault in this node (the reset first stream hid behind a DEBUG line).
                LOG.log(Level.WARNING, label + ": handler for stream " + id + " failed", t);
                s.reset();
              }
            });
    return s;
  }

  private String onPing(Frame f) {
    if ((f.flags() & Frame.FLAG_SYN) != 0) {
      sendControl(Frame.ping(Frame.FLAG_ACK, f.length()));
    } else if ((f.flags() & Frame.FLAG_ACK) != 0) {
      CompletableFuture<Long> p = pendingPings.get(f.length());
      if (p != null) {
        p.complete(System.nanoTime());
      }
    }
    return null;
  }

  private String onGoAway(Frame f) {
    goAwayReceived = true;
    Level level = f.length() == Frame.GO_AWAY_NORMAL ? Level.DEBUG : Level.WARNING;
    LOG.log(level, "{0}: peer sent GoAway with code {1}", label, f.length());
    stateLock.lock();
    try {
      ackBacklogChanged.signalAll();
    } finally {
      stateLock.unlock();
    }
    return null;
  }

  private boolean isLocalId(int id) {
    return (id & 1) == (client ? 1 : 0);
  }

  private void ackReceived() {
    stateLock.lock();
    try {
      unackedOutbound--;
      ackBacklogChanged.signalAll();
    } finally {
      stateLock.unlock();
    }
  }

  /** Called by a stream once it is fully closed or reset. */
  void remove(YamuxStream s) {
    if (!streams.remove(s.id(), s)) {
      return;
    }
    lastStreamActivity = System.nanoTime();
    windowBudget.addAndGet(s.extraWindow());
    stateLock.lock();
    try {
      if (s.isOutbound()) {
        if (!s.isAcked()) {
          unackedOutbound--;
          ackBacklogChanged.signalAll();
        }
      } else {
        inboundOpen--;
      }
    } finally {
      stateLock.unlock();
    }
  }

  private void protocolError(String why) {
    shutdown(Frame.GO_AWAY_PROTOCOL_ERROR, "protocol error: " + why, true);
  }

  /**
   * Ends the session once: optionally sends GoAway with {@code code} (-1: none, the transport is
   * broken), lets the writer drain for up to a second, closes the transport and fails all streams.
   */
  private void shutdown(int code, String reason, boolean misbehaving) {
    if (!closing.compareAndSet(false, true)) {
      return;
    }
    closeReason = reason;
    misbehaved = misbehaving;
    LOG.log(
        misbehaving ? Level.WARNING : Level.DEBUG, "{0}: Yamux session ends: {1}", label, reason);
    queueLock.lock();
    try {
      if (code >= 0) {
        controlQueue.addLast(Frame.goAway(code));
        goAwaySent = true;
      }
      writerStop = true;
      queueNotEmpty.signalAll();
      queueNotFull.signalAll();
    } finally {
      queueLock.unlock();
    }
    if (code >= 0 && writer != null && Thread.currentThread() != writer) {
      try {
        writer.join(Duration.ofSeconds(1));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }
    try {
      transport.close();
    } catch (IOException e) {
      LOG.log(Level.DEBUG, "{0}: closing the transport: {1}", label, e);
    }
    for (YamuxStream s : streams.values()) {
      s.onReset("session closed: " + reason);
    }
    streams.clear();
    pendingPings.values().forEach(p -> p.completeExceptionally(new IOException(reason)));
    stateLock.lock();
    try {
      ackBacklogChanged.signalAll();
    } finally {
      stateLock.unlock();
    }
    closed.complete(reason);
  }

  private void keepAliveLoop() {
    while (true) {
      try {
        closed.get(config.keepAliveInterval().toMillis(), TimeUnit.MILLISECONDS);
        return;
      } catch (TimeoutException e) {
        // Time to ping.
      } catch (InterruptedException | ExecutionException e) {
        return;
      }
      if (!isOpen()) {
        return;
      }
      try {
        ping(config.pingTimeout());
      } catch (IOException e) {
        if (isOpen()) {
          unresponsive = true;
          shutdown(Frame.GO_AWAY_NORMAL, "keep-alive ping failed: " + e.getMessage(), false);
        }
        return;
      }
    }
  }

  @Override
  public String toString() {
    return "YamuxSession["
        + label
        + (client ? " client" : " server")
        + ", "
        + streams.size()
        + " streams]";
  }
}
