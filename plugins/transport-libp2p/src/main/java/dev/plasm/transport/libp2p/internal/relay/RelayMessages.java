package dev.plasm.transport.libp2p.internal.relay;

import dev.plasm.identity.KeyFormatException;
import dev.plasm.identity.NodeIdentity;
import dev.plasm.identity.PeerId;
import dev.plasm.identity.PeerPublicKey;
import dev.plasm.transport.libp2p.MalformedMessageException;
import dev.plasm.transport.libp2p.Multiaddr;
import dev.plasm.transport.libp2p.internal.codec.ProtoReader;
import dev.plasm.transport.libp2p.internal.codec.ProtoWriter;
import dev.plasm.transport.libp2p.internal.codec.Varint;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The messages of circuit relay v2 (libp2p/specs relay/circuit-v2.md): {@code HopMessage} on the
 * hop protocol, {@code StopMessage} on the stop protocol, and the reservation voucher, a signed
 * envelope (RFC 0002) with domain {@value #VOUCHER_DOMAIN}. Every message is varint-length-prefixed
 * on its stream and at most {@value #MAX_MESSAGE} bytes.
 */
public final class RelayMessages {
  public static final String HOP = "/libp2p/circuit/relay/0.2.0/hop";
  public static final String STOP = "/libp2p/circuit/relay/0.2.0/stop";

  /** js and go cap relay messages at 4 KiB. */
  public static final int MAX_MESSAGE = 4096;

  /** Addresses kept per peer or reservation; more are dropped. */
  static final int MAX_ADDRS = 16;

  static final String VOUCHER_DOMAIN = "libp2p-relay-rsvp";

  /**
   * The payload type of a reservation voucher: the bytes 0x03 0x02 as go-libp2p and js-libp2p send
   * them (not the varint of multicodec 0x0302).
   */
  static final byte[] VOUCHER_TYPE = {0x03, 0x02};

  private RelayMessages() {}

  /** Status codes of both protocols. */
  public static final int OK = 100;

  public static final int RESERVATION_REFUSED = 200;
  public static final int RESOURCE_LIMIT_EXCEEDED = 201;
  public static final int PERMISSION_DENIED = 202;
  public static final int CONNECTION_FAILED = 203;
  public static final int NO_RESERVATION = 204;
  public static final int MALFORMED_MESSAGE = 400;
  public static final int UNEXPECTED_MESSAGE = 401;

  /** A status code's name, for messages. */
  public static String statusName(int status) {
    return switch (status) {
      case OK -> "OK";
      case RESERVATION_REFUSED -> "RESERVATION_REFUSED";
      case RESOURCE_LIMIT_EXCEEDED -> "RESOURCE_LIMIT_EXCEEDED";
      case PERMISSION_DENIED -> "PERMISSION_DENIED";
      case CONNECTION_FAILED -> "CONNECTION_FAILED";
      case NO_RESERVATION -> "NO_RESERVATION";
      case MALFORMED_MESSAGE -> "MALFORMED_MESSAGE";
      case UNEXPECTED_MESSAGE -> "UNEXPECTED_MESSAGE";
      default -> "status " + status;
    };
  }

  /** {@code Limit{duration (s), data (bytes per direction)}}; 0 means none. */
  public record Limit(long durationSeconds, long dataBytes) {
    byte[] encode() {
      ProtoWriter w = new ProtoWriter();
      if (durationSeconds > 0) {
        w.varint(1, durationSeconds);
      }
      if (dataBytes > 0) {
        w.varint(2, dataBytes);
      }
      return w.toByteArray();
    }

    static Limit decode(byte[] b) {
      ProtoReader r = new ProtoReader(b);
      long d = 0;
      long data = 0;
      for (int f; (f = r.next()) != 0; ) {
        switch (f) {
          case 1 -> d = r.varint();
          case 2 -> data = r.varint();
          default -> r.skip();
        }
      }
      return new Limit(d, data);
    }
  }

  /** {@code Peer{id, addrs}}. */
  public record Peer(PeerId id, List<Multiaddr> addrs) {
    public Peer {
      addrs = List.copyOf(addrs);
    }

    byte[] encode() {
      ProtoWriter w = new ProtoWriter().bytes(1, id.toBytes());
      addrs.forEach(a -> w.bytes(2, a.toBytes()));
      return w.toByteArray();
    }

    static Peer decode(byte[] b) {
      ProtoReader r = new ProtoReader(b);
      PeerId id = null;
      List<Multiaddr> addrs = new ArrayList<>();
      for (int f; (f = r.next()) != 0; ) {
        switch (f) {
          case 1 -> id = PeerId.fromBytes(r.bytes());
          case 2 -> addAddr(addrs, r.bytes());
          default -> r.skip();
        }
      }
      if (id == null) {
        throw new MalformedMessageException("relay Peer without an id");
      }
      return new Peer(id, addrs);
    }
  }

  /** {@code Reservation{expire (Unix s), addrs (the relay's, each ending in its /p2p/ id), voucher}}. */
  public record Reservation(long expire, List<Multiaddr> addrs, byte[] voucher) {
    public Reservation {
      addrs = List.copyOf(addrs);
    }

    byte[] encode() {
      ProtoWriter w = new ProtoWriter().varint(1, expire);
      addrs.forEach(a -> w.bytes(2, a.toBytes()));
      if (voucher != null) {
        w.bytes(3, voucher);
      }
      return w.toByteArray();
    }

    static Reservation decode(byte[] b) {
      ProtoReader r = new ProtoReader(b);
      long expire = 0;
      List<Multiaddr> addrs = new ArrayList<>();
      byte[] voucher = null;
      for (int f; (f = r.next()) != 0; ) {
        switch (f) {
          case 1 -> expire = r.varint();
          case 2 -> addAddr(addrs, r.bytes());
          case 3 -> voucher = r.bytes();
          default -> r.skip();
        }
      }
      return new Reservation(expire, addrs, voucher);
    }
  }

  /** {@code HopMessage}; type RESERVE = 0, CONNECT = 1, STATUS = 2. */
  public record Hop(int type, Peer peer, Reservation reservation, Limit limit, int status) {
    public static final int RESERVE = 0;
    public static final int CONNECT = 1;
    public static final int STATUS = 2;

    public static Hop reserve() {
      return new Hop(RESERVE, null, null, null, 0);
    }

    public static Hop connect(PeerId target) {
      return new Hop(CONNECT, new Peer(target, List.of()), null, null, 0);
    }

    public static Hop status(int status, Reservation reservation, Limit limit) {
      return new Hop(STATUS, null, reservation, limit, status);
    }

    public byte[] encode() {
      ProtoWriter w = new ProtoWriter().varint(1, type);
      if (peer != null) {
        w.bytes(2, peer.encode());
      }
      if (reservation != null) {
        w.bytes(3, reservation.encode());
      }
      if (limit != null) {
        w.bytes(4, limit.encode());
      }
      if (type == STATUS) {
        w.varint(5, status);
      }
      return w.toByteArray();
    }

    public static Hop decode(byte[] b) {
      ProtoReader r = new ProtoReader(b);
      int type = -1;
      Peer peer = null;
      Reservation res = null;
      Limit limit = null;
      int status = 0;
      for (int f; (f = r.next()) != 0; ) {
        switch (f) {
          case 1 -> type = (int) r.varint();
          case 2 -> peer = Peer.decode(r.bytes());
          case 3 -> res = Reservation.decode(r.bytes());
          case 4 -> limit = Limit.decode(r.bytes());
          case 5 -> status = (int) r.varint();
          default -> r.skip();
        }
      }
      if (type < 0 || type > STATUS) {
        throw new MalformedMessageException("HopMessage of type " + type);
      }
      return new Hop(type, peer, res, limit, status);
    }
  }

  /** {@code StopMessage}; type CONNECT = 0, STATUS = 1. */
  public record Stop(int type, Peer peer, Limit limit, int status) {
    public static final int CONNECT = 0;
    public static final int STATUS = 1;

    public static Stop status(int status) {
      return new Stop(STATUS, null, null, status);
    }

    public byte[] encode() {
      ProtoWriter w = new ProtoWriter().varint(1, type);
      if (peer != null) {
        w.bytes(2, peer.encode());
      }
      if (limit != null) {
        w.bytes(3, limit.encode());
      }
      if (type == STATUS) {
        w.varint(4, status);
      }
      return w.toByteArray();
    }

    public static Stop decode(byte[] b) {
      ProtoReader r = new ProtoReader(b);
      int type = -1;
      Peer peer = null;
      Limit limit = null;
      int status = 0;
      for (int f; (f = r.next()) != 0; ) {
        switch (f) {
          case 1 -> type = (int) r.varint();
          case 2 -> peer = Peer.decode(r.bytes());
          case 3 -> limit = Limit.decode(r.bytes());
          case 4 -> status = (int) r.varint();
          default -> r.skip();
        }
      }
      if (type < 0 || type > STATUS) {
        throw new MalformedMessageException("StopMessage of type " + type);
      }
      return new Stop(type, peer, limit, status);
    }
  }

  private static void addAddr(List<Multiaddr> addrs, byte[] bytes) {
    if (addrs.size() >= MAX_ADDRS) {
      return;
    }
    try {
      addrs.add(Multiaddr.fromBytes(bytes));
    } catch (IllegalArgumentException e) {
      // An address of a protocol we do not know: skipped, as identify does.
    }
  }

  // ---- the reservation voucher ----

  /**
   * A voucher: the envelope {@code {public_key=1, payload_type=2, payload=3, signature=5}} around
   * {@code Voucher{relay=1, peer=2, expiration=3}}, signed by the relay over the domain, the type
   * and the payload, each varint-length-prefixed.
   */
  public static byte[] voucher(NodeIdentity relay, PeerId peer, long expiration) {
    byte[] payload =
        new ProtoWriter()
            .bytes(1, relay.peerId().toBytes())
            .bytes(2, peer.toBytes())
            .varint(3, expiration)
            .toByteArray();
    byte[] sig = relay.sign(signedBytes(payload));
    return new ProtoWriter()
        .bytes(1, relay.publicKey().encode())
        .bytes(2, VOUCHER_TYPE)
        .bytes(3, payload)
        .bytes(5, sig)
        .toByteArray();
  }

  /**
   * Checks a voucher: signed by {@code relay}'s key, for {@code peer}; returns its expiration
   * (Unix seconds).
   *
   * @throws MalformedMessageException naming what is wrong
   */
  public static long checkVoucher(byte[] envelope, PeerId relay, PeerId peer) {
    ProtoReader r = new ProtoReader(envelope);
    byte[] key = null;
    byte[] type = null;
    byte[] payload = null;
    byte[] sig = null;
    for (int f; (f = r.next()) != 0; ) {
      switch (f) {
        case 1 -> key = r.bytes();
        case 2 -> type = r.bytes();
        case 3 -> payload = r.bytes();
        case 5 -> sig = r.bytes();
        default -> r.skip();
      }
    }
    if (key == null || type == null || payload == null || sig == null) {
      throw new MalformedMessageException("voucher envelope lacks a field");
    }
    if (!Arrays.equals(type, VOUCHER_TYPE)) {
      throw new MalformedMessageException("envelope is not a reservation voucher");
    }
    PeerPublicKey pk;
    try {
      pk = PeerPublicKey.decode(key);
    } catch (KeyFormatException e) {
      throw new MalformedMessageException("voucher carries a bad public key: " + e.getMessage(), e);
    }
    if (!pk.peerId().equals(relay)) {
      throw new MalformedMessageException(
          "voucher signed by " + pk.peerId() + ", not the relay " + relay);
    }
    if (!pk.verify(signedBytes(payload), sig)) {
      throw new MalformedMessageException("voucher signature does not verify");
    }
    ProtoReader v = new ProtoReader(payload);
    PeerId vRelay = null;
    PeerId vPeer = null;
    long exp = 0;
    for (int f; (f = v.next()) != 0; ) {
      switch (f) {
        case 1 -> vRelay = PeerId.fromBytes(v.bytes());
        case 2 -> vPeer = PeerId.fromBytes(v.bytes());
        case 3 -> exp = v.varint();
        default -> v.skip();
      }
    }
    if (!relay.equals(vRelay) || !peer.equals(vPeer)) {
      throw new MalformedMessageException("voucher is for " + vPeer + " at " + vRelay);
    }
    return exp;
  }

  private static byte[] signedBytes(byte[] payload) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    byte[] domain = VOUCHER_DOMAIN.getBytes(StandardCharsets.UTF_8);
    out.writeBytes(Varint.encode(domain.length));
    out.writeBytes(domain);
    out.writeBytes(Varint.encode(VOUCHER_TYPE.length));
    out.writeBytes(VOUCHER_TYPE);
    out.writeBytes(Varint.encode(payload.length));
    out.writeBytes(payload);
    return out.toByteArray();
  }
}
