package dev.plasm.transport.libp2p.internal.quic;

import dev.plasm.identity.NodeIdentity;
import io.netty.bootstrap.Bootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.handler.codec.quic.QuicChannel;
import io.netty.handler.codec.quic.QuicClientCodecBuilder;
import io.netty.handler.codec.quic.QuicSslContext;
import io.netty.handler.codec.quic.QuicSslContextBuilder;
import io.netty.handler.ssl.util.InsecureTrustManagerFactory;
import io.netty.util.concurrent.Future;
import java.io.ByteArrayInputStream;
import java.net.InetSocketAddress;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.ECGenParameterSpec;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeUnit;
import org.bouncycastle.asn1.x500.X500Name;

/**
 * A QUIC client for misbehaving-peer tests: it trusts any server and presents whatever certificate
 * the test makes (or none), so a host's listener can be shown a bad one.
 */
public final class RawQuicClient implements AutoCloseable {
  /** The certificates a bad peer can present. */
  public enum BadCertificate {
    /** A self-signed certificate without the libp2p extension. */
    NO_LIBP2P_EXTENSION,
    /** The libp2p extension of another certificate key: the host key's signature does not cover this one. */
    FORGED_SIGNATURE,
    /** A libp2p certificate that expired yesterday. */
    EXPIRED,
    /** No client certificate at all. */
    NONE,
    /** A correct libp2p certificate of a fresh identity: admitted, the peer then never answers a stream. */
    VALID
  }

  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(1, NioIoHandler.newFactory());

  /**
   * Runs a QUIC handshake with {@code target} presenting {@code bad}; returns the QUIC channel if
   * the client side completed (a TLS 1.3 client finishes before the server has judged it).
   */
  public QuicChannel connect(InetSocketAddress target, BadCertificate bad) throws Exception {
    QuicSslContextBuilder b =
        QuicSslContextBuilder.forClient()
            .trustManager(InsecureTrustManagerFactory.INSTANCE)
            .applicationProtocols("libp2p");
    if (bad == BadCertificate.VALID) {
      Libp2pCertificate good =
          Libp2pCertificate.create(NodeIdentity.ephemeral(), Duration.ofDays(1));
      b.keyManager(good.privateKey(), null, good.certificate());
    } else if (bad != BadCertificate.NONE) {
      KeyPair k = ecKey();
      Instant now = Instant.now();
      X500Name name = new X500Name("CN=bad");
      byte[] der =
          switch (bad) {
            case NO_LIBP2P_EXTENSION ->
                Libp2pCertificate.der(
                    k, now.minus(Duration.ofHours(1)), now.plus(Duration.ofDays(1)), name);
            case FORGED_SIGNATURE ->
                Libp2pCertificate.der(
                    k,
                    now.minus(Duration.ofHours(1)),
                    now.plus(Duration.ofDays(1)),
                    name,
                    Libp2pCertificate.signedKeyExtension(
                        NodeIdentity.ephemeral(), ecKey().getPublic().getEncoded()));
            case EXPIRED ->
                Libp2pCertificate.der(
                    k,
                    now.minus(Duration.ofDays(2)),
                    now.minus(Duration.ofDays(1)),
                    name,
                    Libp2pCertificate.signedKeyExtension(
                        NodeIdentity.ephemeral(), k.getPublic().getEncoded()));
            case NONE, VALID -> throw new IllegalStateException();
          };
      X509Certificate cert =
          (X509Certificate)
              CertificateFactory.getInstance("X.509")
                  .generateCertificate(new ByteArrayInputStream(der));
      b.keyManager(k.getPrivate(), null, cert);
    }
    QuicSslContext ctx = b.build();
    ChannelHandler codec =
        new QuicClientCodecBuilder()
            .sslContext(ctx)
            .maxIdleTimeout(5, TimeUnit.SECONDS)
            .initialMaxData(1 << 20)
            .initialMaxStreamDataBidirectionalLocal(1 << 16)
            .initialMaxStreamsBidirectional(16)
            .build();
    Channel udp =
        new Bootstrap()
            .group(group)
            .channel(NioDatagramChannel.class)
            .handler(codec)
            .bind(new InetSocketAddress("127.0.0.1", 0))
            .sync()
            .channel();
    Future<QuicChannel> f =
        QuicChannel.newBootstrap(udp)
            .handler(new ChannelInboundHandlerAdapter())
            .remoteAddress(target)
            .connect();
    f.await(10, TimeUnit.SECONDS);
    return f.isSuccess() ? f.getNow() : null;
  }

  private static KeyPair ecKey() throws Exception {
    KeyPairGenerator g = KeyPairGenerator.getInstance("EC");
    g.initialize(new ECGenParameterSpec("secp256r1"));
    return g.generateKeyPair();
  }

  @Override
  public void close() {
    group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(3, TimeUnit.SECONDS);
  }
}
