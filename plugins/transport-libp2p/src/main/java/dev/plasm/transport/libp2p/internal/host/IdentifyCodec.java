package dev.plasm.transport.libp2p.internal.host;

import dev.plasm.identity.PeerPublicKey;
import dev.plasm.transport.libp2p.IdentifyInfo;
import dev.plasm.transport.libp2p.MalformedMessageException;
import dev.plasm.transport.libp2p.Multiaddr;
import dev.plasm.transport.libp2p.internal.codec.ProtoReader;
import dev.plasm.transport.libp2p.internal.codec.ProtoWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;

/**
 * The identify protobuf (libp2p/specs identify/README.md): publicKey = 1, listenAddrs = 2,
 * protocols = 3, observedAddr = 4, protocolVersion = 5, agentVersion = 6, signedPeerRecord = 8.
 */
final class IdentifyCodec {
  /** Caps on what we keep from a peer, so a hostile message cannot balloon. */
  static final int MAX_MESSAGE = 64 * 1024;

  static final int MAX_ENTRIES = 1024;

  /** Fields as received; null where the message had none (pushes may be partial). */
  record Partial(
      String protocolVersion,
      String agentVersion,
      byte[] publicKey,
      List<Multiaddr> listenAddrs,
      Multiaddr observedAddr,
      List<String> protocols) {}

  private IdentifyCodec() {}

  static byte[] encode(IdentifyInfo info) {
    ProtoWriter w = new ProtoWriter();
    w.bytes(1, info.publicKey().encode());
    for (Multiaddr a : info.listenAddrs()) {
      w.bytes(2, a.toBytes());
    }
    for (String p : info.protocols()) {
      w.string(3, p);
    }
    info.observedAddr().ifPresent(a -> w.bytes(4, a.toBytes()));
    w.string(5, info.protocolVersion());
    w.string(6, info.agentVersion());
    return w.toByteArray();
  }

  /** Decodes leniently where the spec lets peers differ: unknown address protocols are skipped. */
  static Partial decode(byte[] bytes, List<String> skipped) {
    ProtoReader r = new ProtoReader(bytes);
    String protocolVersion = null;
    String agentVersion = null;
    byte[] publicKey = null;
    List<Multiaddr> listenAddrs = null;
    Multiaddr observed = null;
    List<String> protocols = null;
    for (int f; (f = r.next()) != 0; ) {
      switch (f) {
        case 1 -> publicKey = r.bytes();
        case 2 -> {
          byte[] a = r.bytes();
          if (listenAddrs == null) {
            listenAddrs = new ArrayList<>();
          }
          parseAddr(a, skipped).ifPresent(listenAddrs::add);
          if (listenAddrs.size() > MAX_ENTRIES) {
            throw new MalformedMessageException(
                "identify lists more than " + MAX_ENTRIES + " addresses");
          }
        }
        case 3 -> {
          if (protocols == null) {
            protocols = new ArrayList<>();
          }
          protocols.add(r.string());
          if (protocols.size() > MAX_ENTRIES) {
            throw new MalformedMessageException(
                "identify lists more than " + MAX_ENTRIES + " protocols");
          }
        }
        case 4 -> observed = parseAddr(r.bytes(), skipped).orElse(null);
        case 5 -> protocolVersion = r.string();
        case 6 -> agentVersion = r.string();
        default -> r.skip(); // 8: signedPeerRecord, not used yet
      }
    }
    return new Partial(
        protocolVersion,
        agentVersion,
        publicKey,
        listenAddrs == null ? null : List.copyOf(listenAddrs),
        observed,
        protocols == null ? null : List.copyOf(protocols));
  }

  /** Applies {@code p} on top of {@code base} (null for the first message). */
  static IdentifyInfo merge(IdentifyInfo base, Partial p, PeerPublicKey key) {
    return new IdentifyInfo(
        p.protocolVersion() != null
            ? p.protocolVersion()
            : base != null ? base.protocolVersion() : "",
        p.agentVersion() != null ? p.agentVersion() : base != null ? base.agentVersion() : "",
        key,
        p.listenAddrs() != null ? p.listenAddrs() : base != null ? base.listenAddrs() : List.of(),
        p.observedAddr() != null
            ? Optional.of(p.observedAddr())
            : base != null ? base.observedAddr() : Optional.empty(),
        p.protocols() != null ? p.protocols() : base != null ? base.protocols() : List.of());
  }

  private static Optional<Multiaddr> parseAddr(byte[] a, List<String> skipped) {
    try {
      return Optional.of(Multiaddr.fromBytes(a));
    } catch (IllegalArgumentException e) {
      skipped.add(e.getMessage());
      return Optional.empty();
    }
  }
}
