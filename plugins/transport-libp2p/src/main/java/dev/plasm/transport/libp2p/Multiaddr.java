package dev.plasm.transport.libp2p;

import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.internal.codec.Varint;
import java.io.ByteArrayOutputStream;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;

/**
 * A multiaddr: a self-describing network address such as {@code /ip4/127.0.0.1/tcp/4001/p2p/12D3KooW...},
 * convertible between its text form (for people and tools) and its binary form (on the wire).
 *
 * <p>The protocols are those a TCP/QUIC libp2p node meets: ip4, ip6, tcp, udp, dns, dns4, dns6,
 * dnsaddr, p2p (alias ipfs), quic, quic-v1, and the value-less tls, ws, wss, p2p-circuit,
 * webtransport, webrtc and webrtc-direct. Anything else is refused with a message naming it.
 * Parsing never touches the network: dns names stay names.
 */
public final class Multiaddr {
  private static final int MAX_NAME_BYTES = 255;
  private static final int MAX_BINARY_BYTES = 1024;

  /** The multiaddr protocols this implementation reads and writes. */
  public enum Protocol {
    IP4(4, "ip4", 4),
    TCP(6, "tcp", 2),
    DNS(53, "dns", -1),
    DNS4(54, "dns4", -1),
    DNS6(55, "dns6", -1),
    DNSADDR(56, "dnsaddr", -1),
    IP6(41, "ip6", 16),
    UDP(273, "udp", 2),
    WEBRTC_DIRECT(280, "webrtc-direct", 0),
    WEBRTC(281, "webrtc", 0),
    P2P_CIRCUIT(290, "p2p-circuit", 0),
    P2P(421, "p2p", -1),
    TLS(448, "tls", 0),
    QUIC(460, "quic", 0),
    QUIC_V1(461, "quic-v1", 0),
    WEBTRANSPORT(465, "webtransport", 0),
    WS(477, "ws", 0),
    WSS(478, "wss", 0);

    private final int code;
    private final String text;

    /** Value size in bytes; -1 means length-prefixed. */
    private final int size;

    Protocol(int code, String text, int size) {
      this.code = code;
      this.text = text;
      this.size = size;
    }

    public int code() {
      return code;
    }

    /** The protocol's name in text multiaddrs. */
    public String text() {
      return text;
    }

    public boolean hasValue() {
      return size != 0;
    }

    static Optional<Protocol> byName(String name) {
      if (name.equals("ipfs")) {
        return Optional.of(P2P);
      }
      for (Protocol p : values()) {
        if (p.text.equals(name)) {
          return Optional.of(p);
        }
      }
      return Optional.empty();
    }

    static Optional<Protocol> byCode(long code) {
      for (Protocol p : values()) {
        if (p.code == code) {
          return Optional.of(p);
        }
      }
      return Optional.empty();
    }
  }

  /** One {@code /protocol/value} part; {@code value} is the binary value (empty if none). */
  public record Component(Protocol protocol, byte[] value) {
    public Component {
      value = value.clone();
    }

    @Override
    public byte[] value() {
      return value.clone();
    }

    /** The value in text form ({@code ""} for protocols without a value). */
    public String valueText() {
      return switch (protocol) {
        case IP4 ->
            (value[0] & 0xFF)
                + "."
                + (value[1] & 0xFF)
                + "."
                + (value[2] & 0xFF)
                + "."
                + (value[3] & 0xFF);
        case IP6 -> ip6Text(value);
        case TCP, UDP -> Integer.toString(((value[0] & 0xFF) << 8) | (value[1] & 0xFF));
        case DNS, DNS4, DNS6, DNSADDR -> new String(value, StandardCharsets.UTF_8);
        case P2P -> PeerId.fromBytes(value).toString();
        default -> "";
      };
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Component c && c.protocol == protocol && Arrays.equals(c.value, value);
    }

    @Override
    public int hashCode() {
      return protocol.hashCode() * 31 + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
      return protocol.hasValue() ? "/" + protocol.text + "/" + valueText() : "/" + protocol.text;
    }
  }

  private final List<Component> components;
  private final byte[] bytes;

  private Multiaddr(List<Component> components) {
    this.components = List.copyOf(components);
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    for (Component c : this.components) {
      out.writeBytes(Varint.encode(c.protocol.code));
      if (c.protocol.size < 0) {
        out.writeBytes(Varint.encode(c.value.length));
      }
      out.writeBytes(c.value);
    }
    this.bytes = out.toByteArray();
  }

  public static Multiaddr of(List<Component> components) {
    return new Multiaddr(components);
  }

  /** Parses the text form; throws {@link IllegalArgumentException} naming the bad part. */
  public static Multiaddr parse(String text) {
    if (!text.startsWith("/")) {
      throw bad(text, "a multiaddr starts with '/'");
    }
    String body =
        text.endsWith("/") && text.length() > 1 ? text.substring(0, text.length() - 1) : text;
    String[] parts = body.substring(1).split("/", -1);
    if (parts.length == 1 && parts[0].isEmpty()) {
      throw bad(text, "it has no components");
    }
    List<Component> components = new ArrayList<>();
    for (int i = 0; i < parts.length; i++) {
      String name = parts[i];
      if (name.isEmpty()) {
        throw bad(text, "empty component at position " + (i + 1));
      }
      Protocol p =
          Protocol.byName(name)
              .orElseThrow(() -> bad(text, "unknown or unsupported protocol '" + name + "'"));
      if (!p.hasValue()) {
        components.add(new Component(p, new byte[0]));
        continue;
      }
      if (i + 1 >= parts.length || parts[i + 1].isEmpty()) {
        throw bad(text, "'" + name + "' needs a value");
      }
      String value = parts[++i];
      try {
        components.add(new Component(p, valueFromText(p, value)));
      } catch (IllegalArgumentException e) {
        throw bad(text, e.getMessage());
      }
    }
    return new Multiaddr(components);
  }

  /** Decodes the binary form; throws {@link IllegalArgumentException} naming the bad part. */
  public static Multiaddr fromBytes(byte[] bytes) {
    if (bytes.length == 0 || bytes.length > MAX_BINARY_BYTES) {
      throw new IllegalArgumentException(
          "a binary multiaddr has 1 to " + MAX_BINARY_BYTES + " bytes, not " + bytes.length);
    }
    List<Component> components = new ArrayList<>();
    int[] end = new int[1];
    int pos = 0;
    try {
      while (pos < bytes.length) {
        long code = Varint.decode(bytes, pos, bytes.length, end);
        pos = end[0];
        Protocol p =
            Protocol.byCode(code)
                .orElseThrow(
                    () ->
                        new IllegalArgumentException(
                            "unsupported multiaddr protocol code " + code));
        int size = p.size;
        if (size < 0) {
          long n = Varint.decode(bytes, pos, bytes.length, end);
          pos = end[0];
          if (n > bytes.length - pos) {
            throw new IllegalArgumentException(
                p.text + " value of " + n + " bytes overruns the multiaddr");
          }
          size = (int) n;
        } else if (size > bytes.length - pos) {
          throw new IllegalArgumentException("truncated " + p.text + " value");
        }
        byte[] value = Arrays.copyOfRange(bytes, pos, pos + size);
        pos += size;
        validateBinary(p, value);
        components.add(new Component(p, value));
      }
    } catch (MalformedMessageException e) {
      throw new IllegalArgumentException("malformed binary multiaddr: " + e.getMessage(), e);
    }
    return new Multiaddr(components);
  }

  /** {@code /ip4/a.b.c.d/tcp/port} or {@code /ip6/.../tcp/port} for a resolved socket address. */
  public static Multiaddr tcp(InetSocketAddress address) {
    InetAddress ip = address.getAddress();
    if (ip == null) {
      throw new IllegalArgumentException("unresolved address " + address);
    }
    Protocol p = ip instanceof Inet4Address ? Protocol.IP4 : Protocol.IP6;
    int port = address.getPort();
    return new Multiaddr(
        List.of(
            new Component(p, ip.getAddress()),
            new Component(Protocol.TCP, new byte[] {(byte) (port >> 8), (byte) port})));
  }

  public List<Component> components() {
    return components;
  }

  public byte[] toBytes() {
    return bytes.clone();
  }

  /** The peer id of the last {@code /p2p/} component, if any. */
  public Optional<PeerId> peerId() {
    for (int i = components.size() - 1; i >= 0; i--) {
      if (components.get(i).protocol == Protocol.P2P) {
        return Optional.of(PeerId.fromBytes(components.get(i).value));
      }
    }
    return Optional.empty();
  }

  /** This address with a trailing {@code /p2p/<id>} removed. */
  public Multiaddr withoutPeerId() {
    if (!components.isEmpty() && components.getLast().protocol == Protocol.P2P) {
      return new Multiaddr(components.subList(0, components.size() - 1));
    }
    return this;
  }

  /** This address ending in {@code /p2p/<id>}, replacing any trailing peer id. */
  public Multiaddr withPeerId(PeerId id) {
    List<Component> list = new ArrayList<>(withoutPeerId().components);
    list.add(new Component(Protocol.P2P, id.toBytes()));
    return new Multiaddr(list);
  }

  /** {@code /ip4|ip6/<address>/udp/<port>/quic-v1} for a resolved socket address. */
  public static Multiaddr quic(InetSocketAddress address) {
    List<Component> c = new ArrayList<>(tcp(address).components);
    int port = address.getPort();
    c.set(1, new Component(Protocol.UDP, new byte[] {(byte) (port >> 8), (byte) port}));
    c.add(new Component(Protocol.QUIC_V1, new byte[0]));
    return new Multiaddr(c);
  }

  /**
   * The TCP endpoint of an {@code /ip4|ip6|dns|dns4|dns6/<host>/tcp/<port>} address (optionally
   * followed by {@code /p2p/<id>}); dns names are resolved here, restricted to the asked family.
   */
  public InetSocketAddress toTcpSocketAddress() throws UnknownHostException {
    List<Component> c = withoutPeerId().components;
    if (!isTcp()) {
      throw new IllegalArgumentException(
          this + " is not a TCP address (/ip4|ip6|dns4|dns6/<host>/tcp/<port>)");
    }
    return resolve(c.get(0), Integer.parseInt(c.get(1).valueText()));
  }

  /**
   * The UDP endpoint of an {@code /ip4|ip6|dns|dns4|dns6/<host>/udp/<port>/quic-v1} address
   * (optionally followed by {@code /p2p/<id>}); dns names are resolved here.
   */
  public InetSocketAddress toQuicSocketAddress() throws UnknownHostException {
    List<Component> c = withoutPeerId().components;
    if (!isQuic()) {
      throw new IllegalArgumentException(
          this + " is not a QUIC address (/ip4|ip6|dns4|dns6/<host>/udp/<port>/quic-v1)");
    }
    return resolve(c.get(0), Integer.parseInt(c.get(1).valueText()));
  }

  /** The IP address this address starts with ({@code /ip4/...} or {@code /ip6/...}); never resolves DNS. */
  public Optional<InetAddress> ipAddress() {
    if (components.isEmpty()
        || (components.getFirst().protocol != Protocol.IP4
            && components.getFirst().protocol != Protocol.IP6)) {
      return Optional.empty();
    }
    try {
      return Optional.of(InetAddress.getByAddress(components.getFirst().value));
    } catch (UnknownHostException e) {
      return Optional.empty(); // unreachable: 4 or 16 bytes, checked when parsed
    }
  }

  /** {@code <host>/tcp/<port>}, optionally followed by {@code /p2p/<id>}. */
  public boolean isTcp() {
    List<Component> c = withoutPeerId().components;
    return c.size() == 2 && isHost(c.get(0).protocol) && c.get(1).protocol == Protocol.TCP;
  }

  /** {@code <host>/udp/<port>/quic-v1}, optionally followed by {@code /p2p/<id>}. */
  public boolean isQuic() {
    List<Component> c = withoutPeerId().components;
    return c.size() == 3
        && isHost(c.get(0).protocol)
        && c.get(1).protocol == Protocol.UDP
        && c.get(2).protocol == Protocol.QUIC_V1;
  }

  /** A relayed address: {@code <relay address>/p2p/<relay>/p2p-circuit}, optionally followed by {@code /p2p/<id>}. */
  public boolean isCircuit() {
    return components.stream().anyMatch(c -> c.protocol == Protocol.P2P_CIRCUIT);
  }

  private static boolean isHost(Protocol p) {
    return p == Protocol.IP4
        || p == Protocol.IP6
        || p == Protocol.DNS
        || p == Protocol.DNS4
        || p == Protocol.DNS6;
  }

  private InetSocketAddress resolve(Component host, int port) throws UnknownHostException {
    return switch (host.protocol) {
      case IP4, IP6 -> new InetSocketAddress(InetAddress.getByAddress(host.value), port);
      case DNS, DNS4, DNS6 -> {
        for (InetAddress a : InetAddress.getAllByName(host.valueText())) {
          boolean ok =
              host.protocol == Protocol.DNS
                  || (host.protocol == Protocol.DNS4 && a instanceof Inet4Address)
                  || (host.protocol == Protocol.DNS6 && a instanceof Inet6Address);
          if (ok) {
            yield new InetSocketAddress(a, port);
          }
        }
        throw new UnknownHostException(
            "no " + host.protocol.text + " address for " + host.valueText());
      }
      default ->
          throw new IllegalArgumentException(this + " does not start with an IP or DNS host");
    };
  }

  private static byte[] valueFromText(Protocol p, String v) {
    return switch (p) {
      case IP4 -> ip4(v);
      case IP6 -> ip6(v);
      case TCP, UDP -> port(p, v);
      case DNS, DNS4, DNS6, DNSADDR -> {
        byte[] b = v.getBytes(StandardCharsets.UTF_8);
        validateBinary(p, b);
        yield b;
      }
      case P2P -> PeerId.parse(v).toBytes();
      default -> throw new IllegalStateException("no value for " + p);
    };
  }

  private static void validateBinary(Protocol p, byte[] v) {
    switch (p) {
      case DNS, DNS4, DNS6, DNSADDR -> {
        if (v.length == 0 || v.length > MAX_NAME_BYTES) {
          throw new IllegalArgumentException(
              p.text + " name must have 1 to " + MAX_NAME_BYTES + " bytes");
        }
        String s;
        try {
          s =
              StandardCharsets.UTF_8
                  .newDecoder()
                  .onMalformedInput(CodingErrorAction.REPORT)
                  .decode(ByteBuffer.wrap(v))
                  .toString();
        } catch (CharacterCodingException e) {
          throw new IllegalArgumentException(p.text + " name is not UTF-8");
        }
        if (s.indexOf('/') >= 0 || s.chars().anyMatch(Character::isISOControl)) {
          throw new IllegalArgumentException(
              p.text + " name \"" + s + "\" contains '/' or control characters");
        }
      }
      case P2P -> PeerId.fromBytes(v);
      default -> {}
    }
  }

  private static byte[] ip4(String v) {
    String[] octets = v.split("\\.", -1);
    if (octets.length != 4) {
      throw new IllegalArgumentException(
          "ip4 value \"" + v + "\" is not a dotted quad like 127.0.0.1");
    }
    byte[] out = new byte[4];
    for (int i = 0; i < 4; i++) {
      String o = octets[i];
      if (o.isEmpty()
          || o.length() > 3
          || !o.chars().allMatch(c -> c >= '0' && c <= '9')
          || (o.length() > 1 && o.charAt(0) == '0')
          || Integer.parseInt(o) > 255) {
        throw new IllegalArgumentException(
            "ip4 value \"" + v + "\" is not a dotted quad like 127.0.0.1");
      }
      out[i] = (byte) Integer.parseInt(o);
    }
    return out;
  }

  private static byte[] ip6(String v) {
    if (v.indexOf(':') < 0 || v.indexOf('%') >= 0) {
      throw new IllegalArgumentException(
          "ip6 value \"" + v + "\" is not an IPv6 literal like ::1 (zones are not supported)");
    }
    InetAddress a;
    try {
      a = InetAddress.ofLiteral(v);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("ip6 value \"" + v + "\" is not an IPv6 literal like ::1");
    }
    byte[] b = a.getAddress();
    if (b.length == 4) {
      // The JDK turns ::ffff:a.b.c.d into an Inet4Address; a multiaddr keeps the 16-byte form.
      byte[] mapped = new byte[16];
      mapped[10] = (byte) 0xFF;
      mapped[11] = (byte) 0xFF;
      System.arraycopy(b, 0, mapped, 12, 4);
      return mapped;
    }
    return b;
  }

  private static byte[] port(Protocol p, String v) {
    if (v.isEmpty()
        || v.length() > 5
        || !v.chars().allMatch(c -> c >= '0' && c <= '9')
        || Integer.parseInt(v) > 65535) {
      throw new IllegalArgumentException(
          p.text + " port \"" + v + "\" is not a number from 0 to 65535");
    }
    int port = Integer.parseInt(v);
    return new byte[] {(byte) (port >> 8), (byte) port};
  }

  /** RFC 5952 text: lower-case hex, no leading zeros, the longest run of two or more zero groups as {@code ::}. */
  static String ip6Text(byte[] b) {
    int[] g = new int[8];
    for (int i = 0; i < 8; i++) {
      g[i] = ((b[2 * i] & 0xFF) << 8) | (b[2 * i + 1] & 0xFF);
    }
    int bestStart = -1;
    int bestLen = 1;
    for (int i = 0; i < 8; ) {
      if (g[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && g[j] == 0) {
        j++;
      }
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        sb.append("::");
        i += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(g[i]));
    }
    return sb.toString();
  }

  private static IllegalArgumentException bad(String text, String why) {
    return new IllegalArgumentException("invalid multiaddr \"" + text + "\": " + why);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Multiaddr m && Arrays.equals(m.bytes, bytes);
  }

  @Override
  public int hashCode() {
    return Arrays.hashCode(bytes);
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder();
    for (Component c : components) {
      sb.append(c);
    }
    return sb.toString();
  }

  /** Hex of the binary form, for logs and test failures. */
  public String toHex() {
    return HexFormat.of().formatHex(bytes);
  }
}
