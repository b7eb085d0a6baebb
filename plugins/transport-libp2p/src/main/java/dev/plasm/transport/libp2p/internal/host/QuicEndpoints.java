package dev.plasm.transport.libp2p.internal.host;

import dev.plasm.identity.PeerId;
import dev.plasm.identity.PeerPublicKey;
import dev.plasm.transport.libp2p.Connection;
import dev.plasm.transport.libp2p.HandshakeException;
import dev.plasm.transport.libp2p.Libp2pException;
import dev.plasm.transport.libp2p.Multiaddr;
import dev.plasm.transport.libp2p.PeerIdMismatchException;
import dev.plasm.transport.libp2p.internal.quic.Libp2pCertificate;
import dev.plasm.transport.libp2p.internal.quic.Libp2pTrustManager;
import dev.plasm.transport.libp2p.internal.quic.QuicStreamAdapter;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelOutboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioChannelOption;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.Quic;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicCodecBuilder;
import io.netty.handler.codec.quic.QuicServerCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.codec.quic.QuicSslEngine;
import io.netty.handler.codec.quic.QuicStreamChannel;
import io.netty.handler.codec.quic.QuicTokenHandler;
import io.netty.handler.ssl.ClientAuth;
import io.netty.util.AttributeKey;
import io.netty.util.concurrent.DefaultThreadFactory;
import io.netty.util.concurrent.Future;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.lang.System.Logger.Level;
import java.net.DatagramSocket;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketException;
import java.net.SocketTimeoutException;
import java.net.StandardSocketOptions;
import java.security.cert.CertificateException;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLEngine;

/**
 * A host's QUIC side (libp2p/specs quic/README.md, tls/tls.md): listeners, dialing, and the TLS
 * 1.3 handshake with the libp2p certificate, on Netty's quiche codec. Started on first use, with
 * one Netty event-loop thread per host; nothing here blocks that thread.
 *
 * <p>Dials leave from the port of a QUIC listener of the same address family when there is one
 * (both sockets set {@code SO_REUSEPORT}; the dialing socket is connected, so the kernel hands it
 * the replies): peers then see our listen port as our observed address, which AutoNAT and hole
 * punching rely on.
 */
final class QuicEndpoints implements AutoCloseable {
  private static final System.Logger LOG = System.getLogger("dev.plasm.transport.libp2p.host");
  static final String ALPN = "libp2p";

  /** A connection's receive window in all (QUIC initial_max_data), as Yamux's window budget. */
  static final long CONNECTION_WINDOW = 16L * 1024 * 1024;

  /** A stream's receive window (initial_max_stream_data_bidi_*). */
  static final long STREAM_WINDOW = 1024 * 1024;

  /**
   * Socket buffers asked for each UDP socket. The kernel's default (208 KiB) overflows under a
   * burst of packets, and every drop costs QUIC a retransmission and a smaller congestion window;
   * Linux caps the request at net.core.rmem_max / wmem_max.
   */
  static final int SOCKET_BUFFER = 4 * 1024 * 1024;

  private static final Duration CERTIFICATE_VALIDITY = Duration.ofDays(365L * 20);
  private static final AttributeKey<CompletableFuture<QuicConnection>> CONNECTION =
      AttributeKey.valueOf(QuicEndpoints.class, "connection");
  private static final AttributeKey<Inbound> INBOUND =
      AttributeKey.valueOf(QuicEndpoints.class, "inbound");

  /**
   * No Retry round trip (address validation by token): QUIC's anti-amplification limit bounds what
   * a spoofed source gets, and the handshake cap bounds the connections it can start.
   */
  private static final QuicTokenHandler NO_RETRY =
      new QuicTokenHandler() {
        @Override
        public boolean writeToken(
            io.netty.buffer.ByteBuf out, io.netty.buffer.ByteBuf dcid, InetSocketAddress address) {
          return false;
        }

        @Override
        public int validateToken(io.netty.buffer.ByteBuf token, InetSocketAddress address) {
          return -1;
        }

        @Override
        public int maxTokenLength() {
          return 0;
        }
      };

  private final HostCore host;
  private final HostSettings settings;
  private final ConnectionManager manager;
  private final Object startLock = new Object();
  private EventLoopGroup group;
  private Libp2pCertificate certificate;
  private Libp2pCertificate probeCertificate;

  /** Client contexts, built once (a BoringSSL context per dial cost tens of milliseconds). */
  private QuicSslContext clientContext;

  private QuicSslContext probeContext;

  /** Each dial's engine and what its certificate check found, for the shared client contexts. */
  private final ConcurrentHashMap<SSLEngine, DialVerdict> dialVerdicts = new ConcurrentHashMap<>();

  private final Libp2pTrustManager.Verdict clientVerdict =
      new Libp2pTrustManager.Verdict() {
        @Override
        public void verified(SSLEngine engine, PeerPublicKey key)
            throws java.security.cert.CertificateException {
          DialVerdict v = engine == null ? null : dialVerdicts.get(engine);
          if (v == null) {
            throw new java.security.cert.CertificateException(
                "a QUIC handshake that no dial started");
          }
          v.verified(engine, key);
        }

        @Override
        public void refused(SSLEngine engine, String why) {
          DialVerdict v = engine == null ? null : dialVerdicts.get(engine);
          if (v != null) {
            v.refused(engine, why);
          }
        }
      };
  private QuicSslContext serverContext;
  private final ConcurrentHashMap<SSLEngine, QuicChannel> serverEngines = new ConcurrentHashMap<>();
  private final List<Channel> listeners = new CopyOnWriteArrayList<>();
  private final List<InetSocketAddress> bound = new CopyOnWriteArrayList<>();
  private final StreamInit streamInit = new StreamInit();
  private final InboundConnection inboundHandler = new InboundConnection();
  private volatile boolean closed;

  /** One inbound connection until its handshake has ended. */
  private static final class Inbound {
    InetSocketAddress remote;
    Multiaddr from;
    ConnectionManager.Handshake handshake;
    volatile PeerPublicKey key;
    volatile String refused;
    volatile boolean active;
  }

  QuicEndpoints(HostCore host, HostSettings settings, ConnectionManager manager) {
    this.host = host;
    this.settings = settings;
    this.manager = manager;
  }

  /** Whether Netty's QUIC library loaded on this platform (only linux-x86_64 is shipped). */
  static boolean available() {
    return Quic.isAvailable();
  }

  private static String unavailable() {
    Throwable t = Quic.unavailabilityCause();
    return "QUIC is not available on "
        + System.getProperty("os.name")
        + " "
        + System.getProperty("os.arch")
        + " (Plasm ships its native library for linux-x86_64 only)"
        + (t == null ? "" : ": " + t);
  }

  private void start() throws IOException {
    synchronized (startLock) {
      if (closed) {
        throw new Libp2pException("host closed");
      }
      if (group != null) {
        return;
      }
      if (!available()) {
        throw new IOException(unavailable());
      }
      certificate = Libp2pCertificate.create(settings.identity(), CERTIFICATE_VALIDITY);
      serverContext =
          QuicSslContextBuilder.forServer(certificate.privateKey(), null, certificate.certificate())
              .trustManager(new Libp2pTrustManager(serverVerdict))
              .clientAuth(ClientAuth.REQUIRE)
              .applicationProtocols(ALPN)
              .build();
      group =
          new MultiThreadIoEventLoopGroup(
              1, new DefaultThreadFactory("libp2p-quic", true), NioIoHandler.newFactory());
    }
  }

  private <B extends QuicCodecBuilder<B>> B transportParameters(B b) {
    long idle =
        Math.max(
            30_000,
            settings.yamux().keepAliveInterval().plus(settings.yamux().pingTimeout()).toMillis());
    return b.maxIdleTimeout(idle, TimeUnit.MILLISECONDS)
        .initialMaxData(CONNECTION_WINDOW)
        .initialMaxStreamDataBidirectionalLocal(STREAM_WINDOW)
        .initialMaxStreamDataBidirectionalRemote(STREAM_WINDOW)
        .initialMaxStreamsBidirectional(settings.yamux().maxInboundStreams())
        .initialMaxStreamsUnidirectional(0)
        .activeMigration(false);
  }

  // ---- listening ----

  /** Binds a QUIC listener; returns the bound address (the real port if 0 was asked for). */
  InetSocketAddress listen(InetSocketAddress bind) throws IOException {
    start();
    if (bind.getPort() != 0) {
      // SO_REUSEPORT would let a second node share the port silently: make sure nobody has it.
      try (DatagramSocket probe = new DatagramSocket(bind)) {
        probe.getLocalPort();
      } catch (SocketException e) {
        throw new IOException("UDP " + bind + " is in use: " + e.getMessage(), e);
      }
    }
    ChannelHandler codec =
        transportParameters(new QuicServerCodecBuilder())
            .sslEngineProvider(
                ch -> {
                  QuicSslEngine e = serverContext.newEngine(ch.alloc());
                  serverEngines.put(e, ch);
                  ch.closeFuture().addListener(f -> serverEngines.remove(e));
                  return e;
                })
            .tokenHandler(NO_RETRY)
            .handler(inboundHandler)
            .streamHandler(streamInit)
            .build();
    ChannelFuture f =
        udpBootstrap(bind.getAddress())
            .option(ChannelOption.SO_REUSEADDR, true)
            .option(NioChannelOption.of(StandardSocketOptions.SO_REUSEPORT), true)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    // First in line, so that punch packets written from its context skip the QUIC
                    // codec.
                    ch.pipeline().addLast(PUNCH, new ChannelOutboundHandlerAdapter());
                    ch.pipeline().addLast(codec);
                  }
                })
            .bind(bind);
    Channel ch = await(f, "listening on UDP " + bind);
    listeners.add(ch);
    InetSocketAddress local = (InetSocketAddress) ch.localAddress();
    bound.add(local);
    return local;
  }

  private static final String PUNCH = "plasm-punch";

  /**
   * Sends {@code count} datagrams of random bytes to {@code target} from our QUIC listen port, {@code
   * gapMillis} apart with jitter (DCUtR's hole punch: our NAT then lets {@code target}'s QUIC dial
   * in). Returns false if we have no QUIC listener of {@code target}'s family.
   */
  boolean punch(InetSocketAddress target, int count, java.util.function.BooleanSupplier stop) {
    Channel listener =
        listeners.stream()
            .filter(
                l ->
                    (((InetSocketAddress) l.localAddress()).getAddress() instanceof Inet4Address)
                        == (target.getAddress() instanceof Inet4Address))
            .findFirst()
            .orElse(null);
    if (listener == null) {
      return false;
    }
    ChannelHandlerContext ctx = listener.pipeline().context(PUNCH);
    java.util.concurrent.ThreadLocalRandom random =
        java.util.concurrent.ThreadLocalRandom.current();
    for (int i = 0; i < count && !stop.getAsBoolean() && listener.isActive(); i++) {
      byte[] junk = new byte[64 + random.nextInt(64)];
      random.nextBytes(junk);
      ctx.writeAndFlush(
          new io.netty.channel.socket.DatagramPacket(
              io.netty.buffer.Unpooled.wrappedBuffer(junk), target));
      try {
        Thread.sleep(10 + random.nextInt(190)); // the spec's 10 to 200 ms
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return true;
      }
    }
    return true;
  }

  /** The addresses the listeners are bound to (wildcards as they are). */
  List<InetSocketAddress> bound() {
    return List.copyOf(bound);
  }

  private final Libp2pTrustManager.Verdict serverVerdict =
      new Libp2pTrustManager.Verdict() {
        @Override
        public void verified(SSLEngine engine, PeerPublicKey key) {
          Inbound in = inbound(engine);
          if (in != null) {
            in.key = key;
          }
        }

        @Override
        public void refused(SSLEngine engine, String why) {
          Inbound in = inbound(engine);
          if (in != null) {
            in.refused = why;
          }
        }

        private Inbound inbound(SSLEngine engine) {
          QuicChannel ch = engine == null ? null : serverEngines.get(engine);
          return ch == null ? null : ch.attr(INBOUND).get();
        }
      };

  /** Admits each inbound QUIC connection and registers it once its handshake is done. */
  @ChannelHandler.Sharable
  private final class InboundConnection extends ChannelInboundHandlerAdapter {
    @Override
    public void channelRegistered(ChannelHandlerContext ctx) {
      QuicChannel ch = (QuicChannel) ctx.channel();
      connectionFuture(ch);
      Inbound in = new Inbound();
      in.remote = (InetSocketAddress) ch.remoteSocketAddress();
      in.from = Multiaddr.quic(in.remote);
      ch.attr(INBOUND).set(in);
      in.handshake = manager.admitInbound(() -> ch.close(), in.remote, in.from);
      // A failed handshake closes the channel without it ever becoming active (no channelInactive).
      ch.closeFuture().addListener(f -> closedBeforeActive(ch, in));
      ctx.fireChannelRegistered();
    }

    @Override
    public void channelActive(ChannelHandlerContext ctx) {
      QuicChannel ch = (QuicChannel) ctx.channel();
      Inbound in = ch.attr(INBOUND).get();
      if (in.handshake == null) {
        ch.close(); // refused at admission
        return;
      }
      in.active = true;
      Thread.ofVirtual().name("libp2p-quic-upgrade " + in.remote).start(() -> established(ch, in));
      ctx.fireChannelActive();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      LOG.log(
          Level.DEBUG, "QUIC connection {0}: {1}", ctx.channel().remoteAddress(), cause.toString());
      ctx.close();
    }
  }

  /** Reports (once) an inbound connection whose handshake failed, stalled or was cut off. */
  private void closedBeforeActive(QuicChannel ch, Inbound in) {
    connectionFuture(ch).completeExceptionally(new IOException("QUIC connection closed"));
    if (in.handshake == null || in.active) {
      return;
    }
    Exception e =
        in.refused != null
            ? new HandshakeException(in.refused)
            : in.handshake.expired()
                ? new SocketTimeoutException("QUIC handshake timed out")
                : new IOException(
                    "the QUIC handshake ended before completing (no or an unusable client certificate, or the peer gave up)");
    host.inboundFailed(in.handshake, in.from, e);
    in.handshake.close();
  }

  private void established(QuicChannel ch, Inbound in) {
    ConnectionManager.Handshake h = in.handshake;
    try (h) {
      PeerPublicKey key = in.key != null ? in.key : resumedKey(ch);
      if (key == null) {
        throw new HandshakeException("the QUIC peer presented no libp2p certificate");
      }
      QuicConnection c = new QuicConnection(host, this, ch, key, in.remote, local(ch), false);
      host.register(c, h);
      connectionFuture(ch).complete(c);
    } catch (RuntimeException e) {
      host.inboundFailed(h, in.from, e);
      connectionFuture(ch).completeExceptionally(e);
    }
  }

  // ---- dialing ----

  /** The outcome of one dial's certificate check: the peer it proved, or why it was refused. */
  private static final class DialVerdict implements Libp2pTrustManager.Verdict {
    final PeerId expected;
    volatile PeerPublicKey key;
    volatile PeerId mismatch;
    volatile String refused;

    DialVerdict(PeerId expected) {
      this.expected = expected;
    }

    @Override
    public void verified(SSLEngine engine, PeerPublicKey k) throws CertificateException {
      if (!k.peerId().equals(expected)) {
        mismatch = k.peerId();
        throw new CertificateException(
            "dialed " + expected + " but the certificate is " + k.peerId() + "'s");
      }
      key = k;
    }

    @Override
    public void refused(SSLEngine engine, String why) {
      refused = why;
    }
  }

  /**
   * Dials {@code target} and completes the TLS handshake; a peer that proves another identity
   * than {@code expected} is refused inside the handshake.
   */
  Connection dial(InetSocketAddress target, PeerId expected) throws IOException {
    start();
    DialVerdict verdict = new DialVerdict(expected);
    Channel udp = openUdp(verdict, false, target, sharedLocal(target));
    ConnectionManager.Handshake h = manager.beginOutbound(() -> udp.close(), target);
    try (h) {
      QuicChannel ch = handshake(udp, target, verdict, h::expired);
      QuicConnection c =
          new QuicConnection(
              host, this, ch, verdict.key, target, (InetSocketAddress) udp.localAddress(), true);
      ConnectionImpl use = host.register(c, h);
      connectionFuture(ch).complete(c);
      return use;
    } catch (IOException | RuntimeException e) {
      udp.close();
      throw e;
    }
  }

  /**
   * Checks that {@code expected} answers at {@code target} (AutoNAT's dial-back): a QUIC handshake
   * from a fresh port (never the listen port, whose NAT mapping towards the peer would let the
   * answer through whether or not the peer is reachable) under a throw-away identity (so the peer
   * takes it for another peer, not a second connection to us), then the connection is closed unused.
   */
  void probe(InetSocketAddress target, PeerId expected) throws IOException {
    start();
    DialVerdict verdict = new DialVerdict(expected);
    Channel udp = openUdp(verdict, true, target, null);
    try {
      handshake(udp, target, verdict, () -> false)
          .close(true, 0, io.netty.buffer.Unpooled.EMPTY_BUFFER);
    } finally {
      udp.close();
    }
  }

  /** The client context for dials under our identity, or (probe) under a throw-away one. */
  private QuicSslContext clientContext(boolean probe) {
    synchronized (startLock) {
      if (probe && probeContext == null) {
        probeCertificate =
            Libp2pCertificate.create(
                dev.plasm.identity.NodeIdentity.ephemeral(), CERTIFICATE_VALIDITY);
        probeContext = buildClientContext(probeCertificate);
      } else if (!probe && clientContext == null) {
        clientContext = buildClientContext(certificate);
      }
      return probe ? probeContext : clientContext;
    }
  }

  private QuicSslContext buildClientContext(Libp2pCertificate cert) {
    return QuicSslContextBuilder.forClient()
        .keyManager(cert.privateKey(), null, cert.certificate())
        .trustManager(new Libp2pTrustManager(clientVerdict))
        .applicationProtocols(ALPN)
        .build();
  }

  private Channel openUdp(
      DialVerdict verdict, boolean probe, InetSocketAddress target, InetSocketAddress local)
      throws IOException {
    QuicSslContext ctx = clientContext(probe);
    // No SNI: tls.md forbids clients to send one (the engine gets no peer host). The engine is
    // tied to this dial's verdict, which knows the peer id the dial expects.
    ChannelHandler codec =
        transportParameters(new QuicClientCodecBuilder())
            .sslEngineProvider(
                ch -> {
                  io.netty.handler.codec.quic.QuicSslEngine engine = ctx.newEngine(ch.alloc());
                  dialVerdicts.put(engine, verdict);
                  ch.closeFuture().addListener(f -> dialVerdicts.remove(engine));
                  return engine;
                })
            .build();
    Bootstrap b = udpBootstrap(target.getAddress()).handler(codec);
    ChannelFuture udpFuture;
    if (local != null) {
      b.option(ChannelOption.SO_REUSEADDR, true)
          .option(NioChannelOption.of(StandardSocketOptions.SO_REUSEPORT), true);
      udpFuture = b.connect(target, local);
    } else {
      udpFuture =
          b.bind(
              new InetSocketAddress(
                  target.getAddress() instanceof Inet4Address ? "0.0.0.0" : "::", 0));
    }
    return await(udpFuture, "opening a UDP socket to " + target);
  }

  private QuicChannel handshake(
      Channel udp,
      InetSocketAddress target,
      DialVerdict verdict,
      java.util.function.BooleanSupplier expired)
      throws IOException {
    PeerId expected = verdict.expected;
    Future<QuicChannel> qf =
        QuicChannel.newBootstrap(udp)
            .handler(new ChannelInboundHandlerAdapter())
            .streamHandler(streamInit)
            .remoteAddress(target)
            .connect();
    boolean done;
    try {
      done = qf.await(settings.handshakeTimeout().toMillis());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new InterruptedIOException("interrupted while dialing " + target);
    }
    if (!done || !qf.isSuccess()) {
      // (Not cancelled: Netty fails the promise itself when the caller closes the socket.)
      if (verdict.mismatch != null) {
        throw new PeerIdMismatchException(expected, verdict.mismatch);
      }
      if (verdict.refused != null) {
        throw new HandshakeException(verdict.refused);
      }
      if (!done || expired.getAsBoolean()) {
        throw new SocketTimeoutException(
            "no QUIC handshake with "
                + expected
                + " at "
                + target
                + " within "
                + settings.handshakeTimeout().toMillis()
                + " ms");
      }
      throw new IOException("QUIC dial to " + target + " failed: " + qf.cause(), qf.cause());
    }
    QuicChannel ch = qf.getNow();
    ch.closeFuture().addListener(f -> udp.close());
    if (verdict.key == null) {
      PeerPublicKey resumed = resumedKey(ch);
      if (resumed != null && !resumed.peerId().equals(expected)) {
        ch.close();
        throw new PeerIdMismatchException(expected, resumed.peerId());
      }
      verdict.key = resumed;
    }
    if (verdict.key == null) {
      ch.close();
      throw new HandshakeException(
          "the QUIC peer at " + target + " presented no libp2p certificate");
    }
    return ch;
  }

  /**
   * The peer's key when the TLS session was resumed: a resumed handshake (rustls clients, js's QUIC
   * among them, resume by default, and so does Netty's client) exchanges no certificates, so the
   * trust manager is not asked. The session still holds the certificate that was verified in the
   * full handshake that issued its ticket (which only the issuing server can decrypt); it is
   * verified again here, its validity against the present time included. Null if there is none.
   */
  private static PeerPublicKey resumedKey(QuicChannel ch) {
    try {
      javax.net.ssl.SSLSession session =
          ch.sslEngine() == null ? null : ch.sslEngine().getSession();
      return session == null
          ? null
          : Libp2pCertificate.verify(session.getPeerCertificates(), java.time.Instant.now());
    } catch (javax.net.ssl.SSLPeerUnverifiedException | RuntimeException e) {
      LOG.log(
          Level.DEBUG,
          "QUIC connection {0}: no certificate in the resumed session: {1}",
          ch.remoteSocketAddress(),
          e.toString());
      return null;
    }
  }

  /**
   * A UDP socket of {@code address}'s family: a default (dual-stack IPv6) socket bound to 0.0.0.0
   * would report and expand as {@code ::}, and would not share an IPv4 listener's port.
   */
  private Bootstrap udpBootstrap(InetAddress address) {
    io.netty.channel.socket.SocketProtocolFamily family =
        address instanceof Inet4Address
            ? io.netty.channel.socket.SocketProtocolFamily.INET
            : io.netty.channel.socket.SocketProtocolFamily.INET6;
    return new Bootstrap()
        .group(group)
        .channelFactory(() -> new NioDatagramChannel(family))
        .option(ChannelOption.SO_RCVBUF, SOCKET_BUFFER)
        .option(ChannelOption.SO_SNDBUF, SOCKET_BUFFER);
  }

  /** A listener's address to dial from, if one suits {@code target}'s family and scope. */
  private InetSocketAddress sharedLocal(InetSocketAddress target) {
    InetAddress t = target.getAddress();
    for (InetSocketAddress b : bound) {
      InetAddress a = b.getAddress();
      if ((a instanceof Inet4Address) != (t instanceof Inet4Address)) {
        continue;
      }
      if (a.isAnyLocalAddress() || a.isLoopbackAddress() == t.isLoopbackAddress()) {
        return b;
      }
    }
    return null;
  }

  // ---- streams ----

  ChannelHandler streamInitializer() {
    return streamInit;
  }

  /** Wraps every QUIC stream, ours and the peer's, in a blocking adapter. */
  @ChannelHandler.Sharable
  private final class StreamInit extends ChannelInitializer<QuicStreamChannel> {
    @Override
    protected void initChannel(QuicStreamChannel s) {
      s.config().setAutoRead(false);
      s.config().setAllowHalfClosure(true);
      QuicStreamAdapter a = new QuicStreamAdapter(s);
      s.pipeline().addLast(a);
      a.start();
      if (!s.isLocalCreated()) {
        // A stream may arrive before the connection is registered; it waits (buffered, and held
        // back by flow control) until then.
        connectionFuture(s.parent())
            .whenComplete(
                (c, t) -> {
                  if (c != null) {
                    c.acceptInbound(a);
                  } else {
                    a.reset();
                  }
                });
      }
    }
  }

  // ---- helpers ----

  private static CompletableFuture<QuicConnection> connectionFuture(QuicChannel ch) {
    CompletableFuture<QuicConnection> f = new CompletableFuture<>();
    CompletableFuture<QuicConnection> old = ch.attr(CONNECTION).setIfAbsent(f);
    return old != null ? old : f;
  }

  private static InetSocketAddress local(QuicChannel ch) {
    return (InetSocketAddress) ch.localSocketAddress();
  }

  private Channel await(ChannelFuture f, String what) throws IOException {
    try {
      if (!f.await(settings.dialTimeout().toMillis())) {
        f.channel().close();
        throw new SocketTimeoutException(
            what + " took longer than " + settings.dialTimeout().toMillis() + " ms");
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      f.channel().close();
      throw new InterruptedIOException("interrupted while " + what);
    }
    if (!f.isSuccess()) {
      f.channel().close();
      throw new IOException(what + " failed: " + f.cause().getMessage(), f.cause());
    }
    return f.channel();
  }

  @Override
  public void close() {
    EventLoopGroup g;
    synchronized (startLock) {
      closed = true;
      g = group;
    }
    for (Channel ch : listeners) {
      ch.close();
    }
    listeners.clear();
    bound.clear();
    if (g != null) {
      g.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
    }
  }
}
