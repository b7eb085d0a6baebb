package dev.plasm.transport.libp2p;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.identity.NodeIdentity;
import dev.plasm.identity.PeerId;
import java.net.InetSocketAddress;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Multiaddr text and binary forms; the expected bytes were produced by js @multiformats/multiaddr 13.0.3. */
class MultiaddrTests {
  private static final HexFormat HEX = HexFormat.of();

  @ParameterizedTest
  @CsvSource({
    "/ip4/127.0.0.1/tcp/4001, /ip4/127.0.0.1/tcp/4001, 047f000001060fa1",
    "/ip6/::1/tcp/4001, /ip6/::1/tcp/4001, 2900000000000000000000000000000001060fa1",
    "/ip6/2001:db8::ff00:42:8329/udp/443/quic-v1, /ip6/2001:db8::ff00:42:8329/udp/443/quic-v1, 2920010db8000000000000ff0000428329910201bbcd03",
    "/dns4/example.com/tcp/443, /dns4/example.com/tcp/443, 360b6578616d706c652e636f6d0601bb",
    "/dns6/example.com/tcp/443, /dns6/example.com/tcp/443, 370b6578616d706c652e636f6d0601bb",
    "/ip4/1.2.3.4/udp/4001/quic-v1/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA, /ip4/1.2.3.4/udp/4001/quic-v1/p2p/12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA, 040102030491020fa1cd03a503260024080112202ffa35a99d3a3cfbb17bb7c1dc5561b18a8dcca4df38dc613ea859c37eb1336b",
    "/ip6/::ffff:1.2.3.4/tcp/1, /ip6/::ffff:102:304/tcp/1, 2900000000000000000000ffff01020304060001",
    "/ip6/1:0:0:1:0:0:0:1/tcp/1, /ip6/1:0:0:1::1/tcp/1, 2900010000000000010000000000000001060001",
    "/ipfs/QmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNKC, /p2p/QmcgpsyWgH8Y8ajJz1Cu72KnS5uo2Aa2LpzU7kinSupNKC, a503221220d52ebb89d85b02a284948203a62ff28389c57c9f42beec4ec20db76a68911c0b",
    "/ip4/10.0.0.1/tcp/80/, /ip4/10.0.0.1/tcp/80, 040a000001060050",
    "/dnsaddr/bootstrap.libp2p.io, /dnsaddr/bootstrap.libp2p.io, 3813626f6f7473747261702e6c69627032702e696f",
    "/ip4/0.0.0.0/udp/0/quic, /ip4/0.0.0.0/udp/0/quic, 040000000091020000cc03",
  })
  void textAndBinaryFormsMatchJsMultiaddr(String input, String canonical, String hex) {
    Multiaddr m = Multiaddr.parse(input);
    assertEquals(canonical, m.toString());
    assertEquals(hex, m.toHex());
    Multiaddr back = Multiaddr.fromBytes(HEX.parseHex(hex));
    assertEquals(m, back);
    assertEquals(canonical, back.toString());
    assertEquals(m, Multiaddr.parse(canonical));
  }

  @Test
  void peerIdHelpers() {
    PeerId id = NodeIdentity.ephemeral().peerId();
    Multiaddr base = Multiaddr.parse("/ip4/127.0.0.1/tcp/9");
    Multiaddr full = base.withPeerId(id);
    assertEquals("/ip4/127.0.0.1/tcp/9/p2p/" + id, full.toString());
    assertEquals(id, full.peerId().orElseThrow());
    assertEquals(base, full.withoutPeerId());
    assertTrue(base.peerId().isEmpty());
    assertEquals(full, full.withPeerId(id));
  }

  @Test
  void tcpSocketAddressesConvertBothWays() throws Exception {
    Multiaddr m = Multiaddr.tcp(new InetSocketAddress("127.0.0.1", 4001));
    assertEquals("/ip4/127.0.0.1/tcp/4001", m.toString());
    assertEquals(new InetSocketAddress("127.0.0.1", 4001), m.toTcpSocketAddress());
    assertEquals(
        new InetSocketAddress("::1", 5), Multiaddr.parse("/ip6/::1/tcp/5").toTcpSocketAddress());
    assertEquals(4001, Multiaddr.parse("/dns4/localhost/tcp/4001").toTcpSocketAddress().getPort());
    assertThrows(
        IllegalArgumentException.class,
        () -> Multiaddr.parse("/ip4/127.0.0.1/udp/1/quic-v1").toTcpSocketAddress());
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "ip4/1.2.3.4 | starts with '/'",
        "/ | no components",
        "/ip4 | needs a value",
        "/ip4/1.2.3 | dotted quad",
        "/ip4/1.2.3.256 | dotted quad",
        "/ip4/01.2.3.4 | dotted quad",
        "/ip4/a.b.c.d | dotted quad",
        "/ip6/1.2.3.4 | IPv6 literal",
        "/ip6/fe80::1%eth0 | zones",
        "/ip6/1::2::3 | IPv6 literal",
        "/ip4/1.2.3.4/tcp/65536 | 0 to 65535",
        "/ip4/1.2.3.4/tcp/-1 | 0 to 65535",
        "/ip4/1.2.3.4/tcp/ | needs a value",
        "/ip4/1.2.3.4//tcp/1 | empty component",
        "/ip4/1.2.3.4/sctp/1 | unknown or unsupported protocol 'sctp'",
        "/p2p/notapeerid | invalid peer id",
        "/quic-v1/extra | unknown or unsupported protocol 'extra'",
      })
  void malformedTextIsRefusedWithTheReason(String input, String reason) {
    var e = assertThrows(IllegalArgumentException.class, () -> Multiaddr.parse(input));
    assertTrue(e.getMessage().contains(reason), e.getMessage());
    assertTrue(e.getMessage().contains(input), e.getMessage());
  }

  @ParameterizedTest
  @CsvSource({
    "'', 1 to 1024",
    "04010203, truncated ip4",
    "0601, truncated tcp",
    "3605616263, overruns",
    "ff7f, unsupported multiaddr protocol code 16383",
    "80, truncated varint",
    "a50303010203, multihash",
    "3600, 1 to 255",
    "36012f, contains '/'",
  })
  void malformedBinaryIsRefusedWithTheReason(String hex, String reason) {
    var e =
        assertThrows(IllegalArgumentException.class, () -> Multiaddr.fromBytes(HEX.parseHex(hex)));
    assertTrue(e.getMessage().contains(reason), e.getMessage());
  }
}
