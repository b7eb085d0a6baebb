package dev.plasm.transport.libp2p.internal.host;

import dev.plasm.transport.libp2p.PeerKeyPair;
import dev.plasm.transport.libp2p.internal.yamux.YamuxConfig;
import java.time.Duration;

/**
 * A host's fixed settings, as the public builder collected them.
 *
 * @param inlineMuxerNegotiation offer Yamux inside the Noise handshake, skipping one
 *     multistream-select round trip when the peer offers it too
 * @param maxPendingHandshakes inbound connections that may be mid-handshake at once; more are
 *     closed at once so a flood of idle sockets cannot pile up
 */
public record HostSettings(
    PeerKeyPair identity,
    String agentVersion,
    String protocolVersion,
    YamuxConfig yamux,
    Duration dialTimeout,
    Duration handshakeTimeout,
    Duration negotiationTimeout,
    boolean inlineMuxerNegotiation,
    int maxPendingHandshakes) {}
