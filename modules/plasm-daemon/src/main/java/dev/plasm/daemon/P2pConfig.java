package dev.plasm.daemon;

import dev.plasm.transport.spi.ReachSettings;
import dev.plasm.transport.spi.TransportLimits;
import java.util.List;
import java.util.Objects;

/**
 * The daemon's {@code [p2p]} settings (docs/config.md): whether it joins the peer-to-peer network,
 * with which transport, on which addresses, through which bootstrap peers, within which limits.
 *
 * @param enabled whether the daemon starts a transport node (default false)
 * @param transport the transport's id ({@code libp2p})
 * @param listen addresses to listen on (multiaddrs; port 0 picks a free port)
 * @param bootstrap peers to join through, each ending in {@code /p2p/<peer id>}
 * @param limits the node's bounds
 * @param reach AutoNAT, relays (as a client and as a relay) and hole punching
 */
public record P2pConfig(
    boolean enabled,
    String transport,
    List<String> listen,
    List<String> bootstrap,
    TransportLimits limits,
    ReachSettings reach) {

  /** The default listen address: loopback only, so enabling p2p exposes nothing by accident. */
  public static final String DEFAULT_LISTEN = "/ip4/127.0.0.1/tcp/4001";

  /** p2p off; the values used when it is switched on without further settings. */
  public static final P2pConfig DEFAULTS =
      new P2pConfig(
          false,
          "libp2p",
          List.of(DEFAULT_LISTEN),
          List.of(),
          TransportLimits.DEFAULTS,
          ReachSettings.DEFAULTS);

  public P2pConfig {
    Objects.requireNonNull(transport, "transport");
    listen = List.copyOf(listen);
    bootstrap = List.copyOf(bootstrap);
    Objects.requireNonNull(limits, "limits");
    Objects.requireNonNull(reach, "reach");
  }

  /** The same settings, switched on or off. */
  public P2pConfig withEnabled(boolean on) {
    return new P2pConfig(on, transport, listen, bootstrap, limits, reach);
  }
}
