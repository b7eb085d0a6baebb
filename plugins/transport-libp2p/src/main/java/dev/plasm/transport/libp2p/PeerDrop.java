package dev.plasm.transport.libp2p;

import dev.plasm.identity.PeerId;
import java.util.Objects;
import java.util.Optional;

/**
 * A peer the host dropped: refused by a connection limit, failed or stalled in the connection
 * upgrade, or cut off for breaking the Noise or Yamux rules; see {@link Host#addDropListener}.
 *
 * <p>Each drop is also logged once through {@code System.Logger}
 * ({@code dev.plasm.transport.libp2p.host} or {@code .yamux}).
 *
 * @param remoteAddr the peer's TCP address
 * @param peer the peer id, if the Noise handshake got far enough to prove it
 * @param reason why, in one word
 * @param detail why, in a sentence (the log line's message)
 */
public record PeerDrop(Multiaddr remoteAddr, Optional<PeerId> peer, Reason reason, String detail) {
  /** Why a peer was dropped. */
  public enum Reason {
    /** A connection limit (total, per IP, or handshakes in progress) refused it at accept. */
    LIMIT,
    /** It did not finish the connection upgrade within the handshake timeout. */
    HANDSHAKE_TIMEOUT,
    /** The upgrade failed: malformed multistream-select, a bad Noise message, or it hung up. */
    HANDSHAKE_FAILED,
    /** An established connection broke the rules: bad Yamux frames, window overrun, stream flood, forged Noise frames, unanswered keep-alive. */
    MISBEHAVED
  }

  public PeerDrop {
    Objects.requireNonNull(remoteAddr);
    Objects.requireNonNull(peer);
    Objects.requireNonNull(reason);
    Objects.requireNonNull(detail);
  }
}
