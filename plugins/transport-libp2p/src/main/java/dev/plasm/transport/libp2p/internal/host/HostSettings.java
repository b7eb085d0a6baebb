package dev.plasm.transport.libp2p.internal.host;

import dev.plasm.identity.NodeIdentity;
import dev.plasm.transport.libp2p.internal.yamux.YamuxConfig;
import java.time.Duration;

/**
 * A host's fixed settings, as the public builder collected them.
 *
 * @param handshakeTimeout the whole connection upgrade (mss, Noise, muxer) must finish within
 *     this, however slowly the peer trickles bytes
 * @param inlineMuxerNegotiation offer Yamux inside the Noise handshake, skipping one
 *     multistream-select round trip when the peer offers it too
 * @param maxPendingHandshakes inbound connections that may be mid-handshake at once; more are
 *     closed at once so a flood of idle sockets cannot pile up
 * @param maxConnections established plus upgrading connections; past it idle connections are
 *     trimmed, else new ones refused
 * @param maxInboundPerIp inbound connections (established or upgrading) from one IP address
 * @param idleTimeout a connection without streams for this long is closed unless its peer is
 *     protected; zero: never
 */
public record HostSettings(
    NodeIdentity identity,
    String agentVersion,
    String protocolVersion,
    YamuxConfig yamux,
    Duration dialTimeout,
    Duration handshakeTimeout,
    Duration negotiationTimeout,
    boolean inlineMuxerNegotiation,
    int maxPendingHandshakes,
    int maxConnections,
    int maxInboundPerIp,
    Duration idleTimeout) {
  public HostSettings {
    if (maxPendingHandshakes < 1 || maxConnections < 1 || maxInboundPerIp < 1) {
      throw new IllegalArgumentException("connection limits must be at least 1");
    }
    if (idleTimeout.isNegative()) {
      throw new IllegalArgumentException("idleTimeout must not be negative: " + idleTimeout);
    }
  }
}
