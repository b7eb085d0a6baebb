package dev.plasm.transport.libp2p.internal.host;

import dev.plasm.identity.PeerPublicKey;
import dev.plasm.transport.libp2p.Multiaddr;
import dev.plasm.transport.libp2p.internal.mux.MuxedStream;
import dev.plasm.transport.libp2p.internal.quic.QuicStreamAdapter;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicStreamType;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A QUIC connection (libp2p/specs quic/README.md): TLS 1.3 with the libp2p certificate did the
 * authentication, and each libp2p stream is one bidirectional QUIC stream, negotiated with
 * multistream-select. QUIC has no GoAway: draining only stops our new streams, and the connection
 * manager closes the connection once its streams are done.
 */
final class QuicConnection extends ConnectionImpl {
  private final QuicChannel channel;
  private final QuicEndpoints endpoints;
  private final InetAddress remoteIp;
  private final AtomicInteger streams = new AtomicInteger();
  private volatile long lastStreamActivity = System.nanoTime();
  private final CompletableFuture<String> closed = new CompletableFuture<>();
  private volatile boolean closedUnresponsive;

  /** close() was called: Netty closes the channel on its event loop, a moment later. */
  private volatile boolean closing;

  QuicConnection(
      HostCore host,
      QuicEndpoints endpoints,
      QuicChannel channel,
      PeerPublicKey remoteKey,
      InetSocketAddress remote,
      InetSocketAddress local,
      boolean outbound) {
    super(
        host,
        remoteKey.peerId(),
        remoteKey,
        Multiaddr.quic(remote),
        Multiaddr.quic(local),
        outbound);
    this.channel = channel;
    this.endpoints = endpoints;
    this.remoteIp = remote.getAddress();
  }

  @Override
  void start() {
    channel
        .closeFuture()
        .addListener(
            f -> {
              closedUnresponsive = channel.isTimedOut();
              closed.complete(
                  closedUnresponsive
                      ? "QUIC idle timeout: the peer stopped answering"
                      : "QUIC connection closed");
            });
    Duration interval = host.settings().yamux().keepAliveInterval();
    if (!interval.isZero()) {
      // Netty exposes no QUIC PING, so a libp2p ping stream keeps the connection alive (within
      // QUIC's idle timeout) and finds a frozen or vanished peer, as Yamux's keep-alive does on
      // TCP.
      Thread.ofVirtual()
          .name("quic-keepalive " + remotePeer())
          .start(
              () -> {
                while (true) {
                  try {
                    closed.get(interval.toMillis(), TimeUnit.MILLISECONDS);
                    return;
                  } catch (TimeoutException e) {
                    // Time to ping.
                  } catch (InterruptedException | ExecutionException e) {
                    return;
                  }
                  if (!host.checkAlive(this, host.settings().yamux().pingTimeout())) {
                    return;
                  }
                }
              });
    }
  }

  /** A stream the peer opened; negotiated on a virtual thread of its own. */
  void acceptInbound(QuicStreamAdapter stream) {
    track(stream);
    Thread.ofVirtual()
        .name("quic-stream " + remotePeer() + "/" + stream.channel().streamId())
        .start(() -> onInboundStream(stream));
  }

  private void track(QuicStreamAdapter stream) {
    streams.incrementAndGet();
    stream
        .channel()
        .closeFuture()
        .addListener(
            f -> {
              streams.decrementAndGet();
              if (!stream.housekeeping()) {
                lastStreamActivity = System.nanoTime();
              }
            });
  }

  @Override
  MuxedStream openMuxedStream() throws IOException {
    long deadline = System.nanoTime() + host.settings().negotiationTimeout().toNanos();
    while (true) {
      if (!channel.isActive()) {
        throw new IOException("QUIC connection to " + remotePeer() + " is closed");
      }
      // Past the peer's stream limit quiche refuses at once; wait for the peer to grant more.
      if (channel.peerAllowedStreams(QuicStreamType.BIDIRECTIONAL) > 0) {
        Future<QuicStreamChannel> f =
            channel.createStream(QuicStreamType.BIDIRECTIONAL, endpoints.streamInitializer());
        try {
          if (!f.await(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())))) {
            f.cancel(false);
            throw new SocketTimeoutException(
                "no QUIC stream to " + remotePeer() + " within the negotiation timeout");
          }
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          throw new InterruptedIOException("interrupted while opening a QUIC stream");
        }
        if (f.isSuccess()) {
          QuicStreamAdapter a = f.getNow().pipeline().get(QuicStreamAdapter.class);
          if (a == null) {
            // The stream closed before we got it (its handlers are gone): the connection is
            // closing.
            throw new IOException(
                "QUIC connection to " + remotePeer() + " closed while opening a stream");
          }
          track(a);
          return a;
        }
        if (channel.peerAllowedStreams(QuicStreamType.BIDIRECTIONAL) > 0 || !channel.isActive()) {
          throw new IOException(
              "cannot open a QUIC stream to " + remotePeer() + ": " + f.cause(), f.cause());
        }
      }
      if (System.nanoTime() - deadline > 0) {
        throw new SocketTimeoutException(
            "the QUIC stream limit of "
                + remotePeer()
                + " stayed reached for "
                + host.settings().negotiationTimeout().toMillis()
                + " ms");
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new InterruptedIOException("interrupted while waiting for a QUIC stream");
      }
    }
  }

  @Override
  boolean carrierAcceptsNewStreams() {
    return isOpen();
  }

  @Override
  boolean peerWentAway() {
    return false;
  }

  @Override
  void goAway() {
    // QUIC has no GoAway; see the class comment.
  }

  @Override
  boolean misbehaved() {
    return false; // quiche closes on protocol violations itself; they show as a closed connection
  }

  @Override
  int streamCount() {
    return streams.get();
  }

  @Override
  long lastStreamActivity() {
    return lastStreamActivity;
  }

  @Override
  InetAddress remoteIp() {
    return remoteIp;
  }

  @Override
  String carrier() {
    return "quic";
  }

  @Override
  boolean carrierPing(Duration timeout) {
    return false;
  }

  @Override
  boolean carrierUnresponsive() {
    return closedUnresponsive;
  }

  @Override
  public boolean isOpen() {
    return !closing && channel.isActive() && !closed.isDone();
  }

  @Override
  public CompletableFuture<String> closed() {
    return closed.copy();
  }

  @Override
  public void close() {
    closing = true; // no dial or stream picks this connection from now on
    // CONNECTION_CLOSE with application error 0 (no error); waited for (briefly) like a Yamux
    // close, so a caller that closes and dials again gets a new connection.
    io.netty.channel.ChannelFuture f = channel.close(true, 0, Unpooled.EMPTY_BUFFER);
    if (!channel.eventLoop().inEventLoop()) {
      f.awaitUninterruptibly(1, TimeUnit.SECONDS);
    }
  }
}
