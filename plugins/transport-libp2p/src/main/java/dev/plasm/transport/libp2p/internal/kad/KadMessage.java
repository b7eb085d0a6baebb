package dev.plasm.transport.libp2p.internal.kad;

import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.MalformedMessageException;
import dev.plasm.transport.libp2p.Multiaddr;
import dev.plasm.transport.libp2p.internal.codec.ProtoReader;
import dev.plasm.transport.libp2p.internal.codec.ProtoWriter;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * The Kademlia RPC {@code Message} of kad-dht/README.md: {@code type=1, key=2, record=3 (an
 * encoded Record), closerPeers=8, providerPeers=9, clusterLevelRaw=10 (ignored)}.
 *
 * <p>Decoding enforces caps on everything a peer controls: peers per list, addresses per peer,
 * and the sizes of ids, addresses and keys. The message itself is capped before it is read.
 */
public record KadMessage(
    Type type, byte[] key, Record record, List<Peer> closerPeers, List<Peer> providerPeers) {
  /** Peers per list beyond this make the message malformed. */
  public static final int MAX_PEERS = 64;

  /** Addresses per peer beyond this are dropped. */
  public static final int MAX_ADDRS = 32;

  public static final int MAX_KEY = 1024;
  private static final int MAX_ID = 128;
  private static final DateTimeFormatter RFC3339_NANOS =
      DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss.SSSSSSSSS'Z'").withZone(ZoneOffset.UTC);

  public enum Type {
    PUT_VALUE(0),
    GET_VALUE(1),
    ADD_PROVIDER(2),
    GET_PROVIDERS(3),
    FIND_NODE(4),
    PING(5);

    final int code;

    Type(int code) {
      this.code = code;
    }

    static Type of(long code) {
      for (Type t : values()) {
        if (t.code == code) {
          return t;
        }
      }
      throw new MalformedMessageException("unknown kad message type " + code);
    }
  }

  /** {@code ConnectionType}: NOT_CONNECTED 0, CONNECTED 1, CAN_CONNECT 2, CANNOT_CONNECT 3. */
  public static final int NOT_CONNECTED = 0;

  public static final int CONNECTED = 1;

  /** A {@code Peer}: binary peer id, binary multiaddrs and connection state. */
  public record Peer(PeerId id, List<Multiaddr> addrs, int connection) {
    public Peer {
      Objects.requireNonNull(id);
      addrs = List.copyOf(addrs);
    }
  }

  /** A {@code Record}: key, value and timeReceived (RFC 3339 with nanoseconds, set by the receiver). */
  public record Record(byte[] key, byte[] value, String timeReceived) {
    public Record {
      Objects.requireNonNull(key);
      Objects.requireNonNull(value);
    }

    public static Record of(byte[] key, byte[] value, Instant received) {
      return new Record(key, value, RFC3339_NANOS.format(received));
    }

    byte[] encode() {
      ProtoWriter w = new ProtoWriter().bytes(1, key).bytes(2, value);
      if (timeReceived != null && !timeReceived.isEmpty()) {
        w.string(5, timeReceived);
      }
      return w.toByteArray();
    }

    static Record decode(byte[] bytes) {
      ProtoReader r = new ProtoReader(bytes);
      byte[] key = null;
      byte[] value = null;
      String time = null;
      for (int f; (f = r.next()) != 0; ) {
        switch (f) {
          case 1 -> key = r.bytes();
          case 2 -> value = r.bytes();
          case 5 -> time = r.string();
          default -> r.skip();
        }
      }
      return new Record(key == null ? new byte[0] : key, value == null ? new byte[0] : value, time);
    }

    @Override
    public boolean equals(Object o) {
      return o instanceof Record r
          && Arrays.equals(key, r.key)
          && Arrays.equals(value, r.value)
          && Objects.equals(timeReceived, r.timeReceived);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(key) * 31 + Arrays.hashCode(value);
    }

    @Override
    public String toString() {
      return "Record[" + KadKey.printable(key) + ", " + value.length + " bytes]";
    }
  }

  public KadMessage {
    Objects.requireNonNull(type);
    key = key == null ? new byte[0] : key;
    closerPeers = List.copyOf(closerPeers);
    providerPeers = List.copyOf(providerPeers);
  }

  public static KadMessage request(Type type, byte[] key) {
    return new KadMessage(type, key, null, List.of(), List.of());
  }

  public KadMessage withPeers(List<Peer> closer, List<Peer> providers) {
    return new KadMessage(type, key, record, closer, providers);
  }

  public byte[] encode() {
    ProtoWriter w = new ProtoWriter().varint(1, type.code);
    if (key.length > 0) {
      w.bytes(2, key);
    }
    if (record != null) {
      w.bytes(3, record.encode());
    }
    for (Peer p : closerPeers) {
      w.bytes(8, encodePeer(p));
    }
    for (Peer p : providerPeers) {
      w.bytes(9, encodePeer(p));
    }
    return w.toByteArray();
  }

  private static byte[] encodePeer(Peer p) {
    ProtoWriter w = new ProtoWriter().bytes(1, p.id().toBytes());
    for (Multiaddr a : p.addrs()) {
      w.bytes(2, a.toBytes());
    }
    if (p.connection() != NOT_CONNECTED) {
      w.varint(3, p.connection());
    }
    return w.toByteArray();
  }

  /** Decodes a message; throws {@link MalformedMessageException} if it breaks the format or a cap. */
  public static KadMessage decode(byte[] bytes) {
    ProtoReader r = new ProtoReader(bytes);
    Type type = Type.PING;
    boolean typeSeen = false;
    byte[] key = null;
    Record record = null;
    List<Peer> closer = new ArrayList<>();
    List<Peer> providers = new ArrayList<>();
    for (int f; (f = r.next()) != 0; ) {
      switch (f) {
        case 1 -> {
          type = Type.of(r.varint());
          typeSeen = true;
        }
        case 2 -> {
          key = r.bytes();
          if (key.length > MAX_KEY) {
            throw new MalformedMessageException(
                "kad key of " + key.length + " bytes exceeds " + MAX_KEY);
          }
        }
        case 3 -> record = Record.decode(r.bytes());
        case 8 -> addPeer(closer, r.bytes(), "closerPeers");
        case 9 -> addPeer(providers, r.bytes(), "providerPeers");
        default -> r.skip();
      }
    }
    if (!typeSeen) {
      // proto2/proto3 default: PUT_VALUE is 0 and may be omitted by encoders.
      type = Type.PUT_VALUE;
    }
    return new KadMessage(type, key, record, closer, providers);
  }

  private static void addPeer(List<Peer> into, byte[] bytes, String field) {
    if (into.size() >= MAX_PEERS) {
      throw new MalformedMessageException("more than " + MAX_PEERS + " " + field);
    }
    ProtoReader r = new ProtoReader(bytes);
    byte[] id = null;
    List<Multiaddr> addrs = new ArrayList<>();
    int connection = NOT_CONNECTED;
    for (int f; (f = r.next()) != 0; ) {
      switch (f) {
        case 1 -> id = r.bytes();
        case 2 -> {
          byte[] a = r.bytes();
          if (addrs.size() < MAX_ADDRS) {
            try {
              addrs.add(Multiaddr.fromBytes(a));
            } catch (RuntimeException e) {
              // An address with a protocol we do not know: skipped, as in identify.
            }
          }
        }
        case 3 -> connection = (int) Math.min(r.varint(), 3);
        default -> r.skip();
      }
    }
    if (id == null || id.length > MAX_ID) {
      throw new MalformedMessageException("a kad peer without a valid id");
    }
    PeerId peer;
    try {
      peer = PeerId.fromBytes(id);
    } catch (IllegalArgumentException e) {
      throw new MalformedMessageException("a kad peer id is invalid: " + e.getMessage(), e);
    }
    into.add(new Peer(peer, addrs, connection));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof KadMessage m
        && type == m.type
        && Arrays.equals(key, m.key)
        && Objects.equals(record, m.record)
        && closerPeers.equals(m.closerPeers)
        && providerPeers.equals(m.providerPeers);
  }

  @Override
  public int hashCode() {
    return Objects.hash(type, Arrays.hashCode(key), closerPeers, providerPeers);
  }

  @Override
  public String toString() {
    return "KadMessage["
        + type
        + " "
        + KadKey.printable(key)
        + (record != null ? " " + record : "")
        + " closer="
        + closerPeers.size()
        + " providers="
        + providerPeers.size()
        + "]";
  }
}
