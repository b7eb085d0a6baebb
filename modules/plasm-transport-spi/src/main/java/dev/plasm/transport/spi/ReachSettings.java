package dev.plasm.transport.spi;

import java.util.List;
import java.util.Objects;

/**
 * How a node makes itself reachable behind NATs and helps others to: AutoNAT, circuit relays and
 * hole punching.
 *
 * @param autoNat answer peers' dial-back requests, and ask them whether we can be dialed (a node
 *     found unreachable reserves relay slots and stops serving the DHT to others)
 * @param relays relays to reserve a slot on when unreachable, in the transport's text form, each
 *     naming the relay's peer id (for libp2p {@code .../p2p/<relay>}); when empty, connected peers
 *     that serve as relays are used
 * @param relayService serve as a relay for other peers
 * @param relayLimits what the relay service grants
 * @param holePunching replace relayed connections by direct ones where the NATs allow it
 */
public record ReachSettings(
    boolean autoNat,
    List<String> relays,
    boolean relayService,
    RelayServiceLimits relayLimits,
    boolean holePunching) {

  /** AutoNAT, relay client and hole punching on; relaying for others off. */
  public static final ReachSettings DEFAULTS =
      new ReachSettings(true, List.of(), false, RelayServiceLimits.DEFAULTS, true);

  public ReachSettings {
    relays = List.copyOf(relays);
    Objects.requireNonNull(relayLimits, "relayLimits");
  }
}
