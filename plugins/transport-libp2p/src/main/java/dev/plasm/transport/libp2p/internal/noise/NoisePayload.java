package dev.plasm.transport.libp2p.internal.noise;

import dev.plasm.transport.libp2p.internal.codec.ProtoReader;
import dev.plasm.transport.libp2p.internal.codec.ProtoWriter;
import java.util.ArrayList;
import java.util.List;

/**
 * The libp2p {@code NoiseHandshakePayload}: identity_key = 1, identity_sig = 2, extensions = 4
 * ({@code NoiseExtensions{ repeated bytes webtransport_certhashes = 1; repeated string
 * stream_muxers = 2 }}).
 *
 * @param streamMuxers null when the peer sent no muxer list (so multistream-select must run)
 */
record NoisePayload(byte[] identityKey, byte[] identitySig, List<String> streamMuxers) {
  /** A cap so that a peer cannot make us hold a huge list; real lists have one or two entries. */
  static final int MAX_MUXERS = 16;

  byte[] encode() {
    ProtoWriter w = new ProtoWriter().bytes(1, identityKey).bytes(2, identitySig);
    if (streamMuxers != null && !streamMuxers.isEmpty()) {
      ProtoWriter ext = new ProtoWriter();
      for (String m : streamMuxers) {
        ext.string(2, m);
      }
      w.bytes(4, ext.toByteArray());
    }
    return w.toByteArray();
  }

  static NoisePayload decode(byte[] bytes) {
    ProtoReader r = new ProtoReader(bytes);
    byte[] key = null;
    byte[] sig = null;
    List<String> muxers = null;
    for (int f; (f = r.next()) != 0; ) {
      switch (f) {
        case 1 -> key = r.bytes();
        case 2 -> sig = r.bytes();
        case 4 -> {
          ProtoReader ext = new ProtoReader(r.bytes());
          for (int g; (g = ext.next()) != 0; ) {
            if (g == 2) {
              if (muxers == null) {
                muxers = new ArrayList<>();
              }
              if (muxers.size() < MAX_MUXERS) {
                muxers.add(ext.string());
              } else {
                ext.skip();
              }
            } else {
              ext.skip();
            }
          }
        }
        default -> r.skip();
      }
    }
    return new NoisePayload(key, sig, muxers == null ? null : List.copyOf(muxers));
  }
}
