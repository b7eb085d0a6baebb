package dev.plasm.transport.libp2p;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.identity.NodeIdentity;
import dev.plasm.transport.libp2p.internal.codec.Varint;
import dev.plasm.transport.libp2p.internal.mss.Multistream;
import dev.plasm.transport.libp2p.internal.noise.NoiseHandshake;
import dev.plasm.transport.libp2p.internal.quic.RawQuicClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * A real host against hand-driven raw sockets that break the rules at every stage of a connection:
 * before and inside multistream-select, inside the Noise handshake, and inside the encrypted
 * channel (Yamux). For each: the host reports exactly one {@link PeerDrop} (it is raised at the
 * same place as the drop's single log line), frees the handshake slot and per-IP count (so no
 * upgrade thread or buffer is left behind), and keeps serving a well-behaved peer, which pings it
 * while the bad peer is connected and again after it was dropped.
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class MisbehavingPeerTests {
  private static final String YAMUX = "/yamux/1.0.0";

  /** For the stalling cases; the others get 10 s, so a loaded machine cannot turn them into timeouts. */
  private static final Duration HANDSHAKE_TIMEOUT = Duration.ofMillis(1200);

  private final List<AutoCloseable> toClose = new ArrayList<>();
  private final List<PeerDrop> drops = new CopyOnWriteArrayList<>();
  private Host server;
  private Host good;
  private Connection goodConnection;

  @BeforeEach
  void start() throws Exception {
    start(Host.builder().handshakeTimeout(Duration.ofSeconds(10)));
  }

  private void startWithShortHandshakeTimeout() throws Exception {
    start(Host.builder().handshakeTimeout(HANDSHAKE_TIMEOUT));
  }

  private void start(Host.Builder b) throws Exception {
    if (server != null) {
      server.close();
    }
    server = b.build();
    toClose.add(server);
    server.addDropListener(drops::add);
    server.listen(Multiaddr.parse("/ip4/127.0.0.1/tcp/0"));
    server.listen(QuicTests.QUIC_LOOPBACK);
    if (good == null) {
      good = Host.builder().build();
      toClose.add(good);
    }
    goodConnection = good.dial(HostTests.addr(server));
    assertTrue(good.ping(goodConnection).toNanos() > 0);
  }

  @AfterEach
  void cleanUp() throws Exception {
    for (AutoCloseable c : toClose.reversed()) {
      c.close();
    }
  }

  // ---- helpers ----

  private Socket connect() throws IOException {
    Socket s =
        new Socket(
            InetAddress.getLoopbackAddress(),
            server.listenAddrs().getFirst().toTcpSocketAddress().getPort());
    s.setSoTimeout(10_000);
    toClose.add(s);
    return s;
  }

  /** Negotiates /noise and runs the Noise handshake as initiator, offering Yamux inline. */
  private NoiseHandshake.Result secured(Socket s) throws IOException {
    Multistream.select(
        s.getInputStream(), s.getOutputStream(), List.of(NoiseHandshake.PROTOCOL_ID));
    NoiseHandshake.Result r =
        NoiseHandshake.initiate(
            s.getInputStream(),
            s.getOutputStream(),
            NodeIdentity.ephemeral(),
            server.peerId(),
            List.of(YAMUX));
    assertEquals(
        List.of(YAMUX),
        r.remoteMuxers(),
        "the server offers Yamux inline, so no mss round follows");
    return r;
  }

  private static byte[] yamuxHeader(int version, int type, int flags, int streamId, long length) {
    return ByteBuffer.allocate(12)
        .put((byte) version)
        .put((byte) type)
        .putShort((short) flags)
        .putInt(streamId)
        .putInt((int) length)
        .array();
  }

  private static void sendMss(OutputStream out, String... messages) throws IOException {
    for (String m : messages) {
      Multistream.writeMessage(m, out);
    }
  }

  /**
   * Waits for the single drop of the bad peer, checks its reason, then that nothing is left
   * behind and that the good peer is still served.
   */
  private PeerDrop expectOneDrop(PeerDrop.Reason reason) throws Exception {
    HostTests.waitUntil(() -> !drops.isEmpty(), "the bad peer is dropped");
    Thread.sleep(300); // a second report (a second log line) would arrive by now
    assertEquals(1, drops.size(), drops.toString());
    PeerDrop d = drops.getFirst();
    assertEquals(reason, d.reason(), d.toString());
    HostTests.waitUntil(() -> server.core().handshakesInProgress() == 0, "no upgrade left running");
    HostTests.waitUntil(
        () -> server.connections().size() == 1, "only the good peer's connection left");
    HostTests.waitUntil(
        () -> server.core().inboundFrom(InetAddress.getLoopbackAddress()) == 1,
        "the per-IP count back to the good peer alone");
    assertTrue(good.ping(goodConnection).toNanos() > 0, "the good peer is still served");
    return d;
  }

  /** The good peer is served while the bad one is connected, too. */
  private void goodPeerServedNow() throws IOException {
    assertTrue(good.ping(goodConnection).toNanos() > 0);
  }

  // ---- before and inside multistream-select ----

  @Test
  void garbageBeforeMultistreamSelect() throws Exception {
    Socket s = connect();
    byte[] junk = new byte[16];
    Arrays.fill(junk, (byte) 0xFF); // an overlong varint where the header's length goes
    s.getOutputStream().write(junk);
    goodPeerServedNow();
    PeerDrop d = expectOneDrop(PeerDrop.Reason.HANDSHAKE_FAILED);
    assertTrue(d.peer().isEmpty());
    assertEquals(-1, readToEnd(s.getInputStream()), "the socket is closed");
  }

  @Test
  void garbageInsideMultistreamSelect() throws Exception {
    Socket s = connect();
    OutputStream out = s.getOutputStream();
    sendMss(out, Multistream.PROTOCOL_ID);
    out.write(Varint.encode(5));
    out.write("abcde".getBytes(StandardCharsets.US_ASCII)); // no newline
    goodPeerServedNow();
    PeerDrop d = expectOneDrop(PeerDrop.Reason.HANDSHAKE_FAILED);
    assertTrue(d.detail().contains("newline"), d.detail());
  }

  @Test
  void oversizedMultistreamLengthPrefixIsRefusedBeforeAnyBuffering() throws Exception {
    Socket s = connect();
    OutputStream out = s.getOutputStream();
    sendMss(out, Multistream.PROTOCOL_ID);
    out.write(Varint.encode(1L << 30)); // a 1 GiB "protocol id"
    PeerDrop d = expectOneDrop(PeerDrop.Reason.HANDSHAKE_FAILED);
    assertTrue(d.detail().contains("1073741824"), d.detail());
  }

  // ---- inside the Noise handshake ----

  @Test
  void garbageNoiseHandshakeMessage() throws Exception {
    Socket s = connect();
    InputStream in = s.getInputStream();
    OutputStream out = s.getOutputStream();
    Multistream.select(in, out, List.of(NoiseHandshake.PROTOCOL_ID));
    Random r = new Random(1);
    byte[] e = new byte[32];
    r.nextBytes(e);
    out.write(new byte[] {0, 32});
    out.write(e); // message 1: any 32 bytes are an ephemeral key
    int len = (in.read() << 8) | in.read();
    assertEquals(len, in.readNBytes(len).length, "the server answers with message 2");
    byte[] junk = new byte[96];
    r.nextBytes(junk);
    out.write(new byte[] {0, 96});
    out.write(junk); // message 3 that fails authentication
    goodPeerServedNow();
    expectOneDrop(PeerDrop.Reason.HANDSHAKE_FAILED);
  }

  @Test
  void maximalNoiseLengthPrefixThenSilenceTimesOut() throws Exception {
    startWithShortHandshakeTimeout();
    Socket s = connect();
    InputStream in = s.getInputStream();
    OutputStream out = s.getOutputStream();
    Multistream.select(in, out, List.of(NoiseHandshake.PROTOCOL_ID));
    out.write(new byte[] {(byte) 0xFF, (byte) 0xFF}); // announces a 65535-byte message
    out.write(new byte[100]); // and sends 100 bytes of it
    goodPeerServedNow();
    expectOneDrop(PeerDrop.Reason.HANDSHAKE_TIMEOUT);
  }

  // ---- inside the encrypted channel ----

  @Test
  void oversizedGarbageNoiseTransportFrame() throws Exception {
    Socket s = connect();
    secured(s);
    byte[] junk = new byte[65535];
    new Random(2).nextBytes(junk);
    OutputStream out = s.getOutputStream();
    out.write(new byte[] {(byte) 0xFF, (byte) 0xFF});
    out.write(junk);
    PeerDrop d = expectOneDrop(PeerDrop.Reason.MISBEHAVED);
    assertTrue(d.peer().isPresent(), "past Noise the peer id is known");
    assertTrue(d.detail().contains("authentication"), d.detail());
  }

  @Test
  void garbageYamuxFrame() throws Exception {
    Socket s = connect();
    NoiseHandshake.Result sec = secured(s);
    sec.channel().output().write(yamuxHeader(7, 0, 0, 1, 0)); // Yamux version 7
    sec.channel().output().flush();
    PeerDrop d = expectOneDrop(PeerDrop.Reason.MISBEHAVED);
    assertTrue(d.detail().contains("version"), d.detail());
  }

  @Test
  void yamuxWindowViolation() throws Exception {
    Socket s = connect();
    NoiseHandshake.Result sec = secured(s);
    OutputStream out = sec.channel().output();
    out.write(yamuxHeader(0, 1, 1, 1, 0)); // WindowUpdate|SYN opens stream 1
    int tooMuch = 256 * 1024 + 1;
    out.write(yamuxHeader(0, 0, 0, 1, tooMuch));
    try {
      out.write(new byte[tooMuch]);
      out.flush();
    } catch (IOException e) {
      // The server judges the frame by its header and may cut us off before the payload is out.
    }
    PeerDrop d = expectOneDrop(PeerDrop.Reason.MISBEHAVED);
    assertTrue(d.detail().contains("beyond its window"), d.detail());
  }

  @Test
  void streamFlood() throws Exception {
    start(Host.builder().maxInboundStreams(4).handshakeTimeout(Duration.ofSeconds(10)));
    Socket s = connect();
    NoiseHandshake.Result sec = secured(s);
    OutputStream out = sec.channel().output();
    for (int id = 1; id < 2 * 200; id += 2) {
      out.write(yamuxHeader(0, 1, 1, id, 0)); // SYN after SYN, never closing one
    }
    try {
      out.flush();
    } catch (IOException e) {
      // The server may already have cut us off.
    }
    PeerDrop d = expectOneDrop(PeerDrop.Reason.MISBEHAVED);
    assertTrue(d.detail().contains("stream flood"), d.detail());
  }

  // ---- QUIC: the libp2p certificate ----

  private PeerDrop badQuicCertificate(RawQuicClient.BadCertificate bad) throws Exception {
    try (RawQuicClient client = new RawQuicClient()) {
      client.connect(QuicTests.quicAddr(server).toQuicSocketAddress(), bad);
      goodPeerServedNow();
      PeerDrop d = expectOneDrop(PeerDrop.Reason.HANDSHAKE_FAILED);
      assertTrue(d.peer().isEmpty(), "the certificate proved no peer id");
      assertTrue(d.remoteAddr().isQuic(), d.toString());
      return d;
    }
  }

  @Test
  void quicCertificateWithoutTheLibp2pExtension() throws Exception {
    PeerDrop d = badQuicCertificate(RawQuicClient.BadCertificate.NO_LIBP2P_EXTENSION);
    assertTrue(d.detail().contains("no libp2p public key extension"), d.detail());
  }

  @Test
  void quicCertificateWhoseHostKeySignedAnotherKey() throws Exception {
    PeerDrop d = badQuicCertificate(RawQuicClient.BadCertificate.FORGED_SIGNATURE);
    assertTrue(d.detail().contains("does not verify"), d.detail());
  }

  @Test
  void expiredQuicCertificate() throws Exception {
    PeerDrop d = badQuicCertificate(RawQuicClient.BadCertificate.EXPIRED);
    assertTrue(d.detail().contains("not now"), d.detail());
  }

  @Test
  void quicClientWithoutACertificate() throws Exception {
    badQuicCertificate(RawQuicClient.BadCertificate.NONE);
  }

  // ---- half-open ----

  @Test
  void silentTcpPeerIsDroppedAtTheHandshakeDeadline() throws Exception {
    startWithShortHandshakeTimeout();
    Socket s = connect();
    goodPeerServedNow();
    long start = System.nanoTime();
    expectOneDrop(PeerDrop.Reason.HANDSHAKE_TIMEOUT);
    assertEquals(-1, readToEnd(s.getInputStream()));
    assertTrue(System.nanoTime() - start < TimeUnit.SECONDS.toNanos(5));
  }

  @Test
  void peerThatStopsMidHandshakeIsDropped() throws Exception {
    startWithShortHandshakeTimeout();
    Socket s = connect();
    InputStream in = s.getInputStream();
    OutputStream out = s.getOutputStream();
    Multistream.select(in, out, List.of(NoiseHandshake.PROTOCOL_ID));
    byte[] e = new byte[32];
    new Random(3).nextBytes(e); // an all-zero key would be refused at once (small order)
    out.write(new byte[] {0, 32});
    out.write(e);
    // then nothing: message 3 never comes
    goodPeerServedNow();
    expectOneDrop(PeerDrop.Reason.HANDSHAKE_TIMEOUT);
  }

  @Test
  void tricklingPeerIsDroppedAtTheDeadlineThoughEveryReadIsQuick() throws Exception {
    startWithShortHandshakeTimeout();
    long start = System.nanoTime();
    Socket s = connect();
    byte[] header = new byte[20];
    header[0] = 19;
    System.arraycopy("/multistream/1.0.0\n".getBytes(StandardCharsets.US_ASCII), 0, header, 1, 19);
    Thread trickle =
        Thread.startVirtualThread(
            () -> {
              try {
                for (byte b : header) {
                  s.getOutputStream().write(b);
                  Thread.sleep(200); // each read returns well within the timeout
                }
              } catch (IOException | InterruptedException e) {
                // dropped
              }
            });
    HostTests.waitUntil(() -> !drops.isEmpty(), "the trickling peer is dropped");
    // A per-read timeout alone would let it finish the 4 s header and more; the deadline does not.
    assertTrue(
        System.nanoTime() - start < TimeUnit.MILLISECONDS.toNanos(3000),
        "dropped after " + (System.nanoTime() - start) / 1_000_000 + " ms");
    expectOneDrop(PeerDrop.Reason.HANDSHAKE_TIMEOUT);
    trickle.join(5000);
  }

  // ---- limits at accept ----

  @Test
  void perIpLimitRefusesExtraConnectionsAtAccept() throws Exception {
    start(Host.builder().maxInboundConnectionsPerIp(3).handshakeTimeout(Duration.ofSeconds(10)));
    connect();
    connect(); // the good peer's connection and these two use up 127.0.0.1's three slots
    HostTests.waitUntil(
        () -> server.core().inboundFrom(InetAddress.getLoopbackAddress()) == 3, "three counted");
    Socket extra = connect();
    HostTests.waitUntil(() -> !drops.isEmpty(), "the fourth is refused");
    assertEquals(PeerDrop.Reason.LIMIT, drops.getFirst().reason());
    assertEquals(-1, readToEnd(extra.getInputStream()), "closed before the multistream header");
    goodPeerServedNow();
  }

  @Test
  void silentPeersAtTheHandshakeCapAreRefusedAtAcceptAndFreeTheirSlotsWhenGone() throws Exception {
    start(Host.builder().maxPendingHandshakes(4).handshakeTimeout(Duration.ofSeconds(10)));
    List<Socket> silent = new ArrayList<>();
    for (int i = 0; i < 4; i++) {
      silent.add(connect());
    }
    HostTests.waitUntil(() -> server.core().handshakesInProgress() == 4, "four upgrades pending");
    Socket fifth = connect();
    HostTests.waitUntil(() -> !drops.isEmpty(), "the fifth is refused");
    assertEquals(PeerDrop.Reason.LIMIT, drops.getFirst().reason());
    assertEquals(-1, readToEnd(fifth.getInputStream()));
    goodPeerServedNow(); // established connections are not affected by the cap
    for (Socket s : silent) {
      s.close();
    }
    HostTests.waitUntil(
        () -> server.core().handshakesInProgress() == 0, "the slots are free again");
    Host late = Host.builder().build();
    toClose.add(late);
    assertTrue(
        late.ping(late.dial(HostTests.addr(server))).toNanos() > 0, "a new peer gets in again");
  }

  private static int readToEnd(InputStream in) throws IOException {
    int b;
    do {
      b = in.read();
    } while (b >= 0);
    return b;
  }
}
