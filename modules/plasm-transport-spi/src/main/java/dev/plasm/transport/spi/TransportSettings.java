package dev.plasm.transport.spi;

import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * How to start a transport node.
 *
 * @param listen the addresses to listen on, in the transport's text form (for libp2p, multiaddrs
 *     such as {@code /ip4/127.0.0.1/tcp/4001} or {@code /ip4/0.0.0.0/udp/4001/quic-v1}; port 0 picks
 *     a free port)
 * @param bootstrap peers to join the network through, each naming its peer id (for libp2p, {@code
 *     .../p2p/<peer id>}); may be empty for the first node of a network
 * @param identitySeed the node identity's 32-byte Ed25519 private key (RFC 8032 seed): the node's
 *     network peer id is the identity's peer id. Copied in and out; never printed
 * @param agentVersion what the node tells peers it runs, e.g. {@code plasm/0.1.0}
 * @param limits the node's bounds
 * @param reach AutoNAT, relays and hole punching
 */
public record TransportSettings(
    List<String> listen,
    List<String> bootstrap,
    byte[] identitySeed,
    String agentVersion,
    TransportLimits limits,
    ReachSettings reach) {

  /** The length of {@link #identitySeed}. */
  public static final int SEED_BYTES = 32;

  public TransportSettings {
    listen = List.copyOf(listen);
    bootstrap = List.copyOf(bootstrap);
    Objects.requireNonNull(identitySeed, "identitySeed");
    Objects.requireNonNull(agentVersion, "agentVersion");
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(reach, "reach");
    if (identitySeed.length != SEED_BYTES) {
      throw new IllegalArgumentException(
          "an Ed25519 identity seed has 32 bytes, not " + identitySeed.length);
    }
    identitySeed = identitySeed.clone();
    if (listen.isEmpty()) {
      throw new IllegalArgumentException("a transport node needs at least one listen address");
    }
  }

  /** Settings with {@link ReachSettings#DEFAULTS}. */
  public TransportSettings(
      List<String> listen,
      List<String> bootstrap,
      byte[] identitySeed,
      String agentVersion,
      TransportLimits limits) {
    this(listen, bootstrap, identitySeed, agentVersion, limits, ReachSettings.DEFAULTS);
  }

  @Override
  public byte[] identitySeed() {
    return identitySeed.clone();
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof TransportSettings s
        && listen.equals(s.listen)
        && bootstrap.equals(s.bootstrap)
        && Arrays.equals(identitySeed, s.identitySeed)
        && agentVersion.equals(s.agentVersion)
        && limits.equals(s.limits)
        && reach.equals(s.reach);
  }

  @Override
  public int hashCode() {
    return Objects.hash(
        listen, bootstrap, Arrays.hashCode(identitySeed), agentVersion, limits, reach);
  }

  /** Leaves the private key out. */
  @Override
  public String toString() {
    return "TransportSettings[listen="
        + listen
        + ", bootstrap="
        + bootstrap
        + ", agentVersion="
        + agentVersion
        + ", limits="
        + limits
        + ", reach="
        + reach
        + "]";
  }
}
