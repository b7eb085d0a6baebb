package dev.plasm.transport.libp2p;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Whether peers can dial this node, as AutoNAT found out from their dial-backs.
 *
 * @param status what the last check concluded
 * @param reachable the addresses peers dialed us back at (empty unless {@link Status#PUBLIC})
 * @param observed what peers report seeing us at, for our listen ports (behind a NAT: its outside
 *     address)
 * @param checkedAt when the status was last decided, if ever
 */
public record Reachability(
    Status status,
    List<Multiaddr> reachable,
    List<Multiaddr> observed,
    Optional<Instant> checkedAt) {
  /** The outcome of AutoNAT's checks. */
  public enum Status {
    /** Not decided yet: too few peers answered. */
    UNKNOWN,
    /** Peers dialed us back: we can be dialed directly. */
    PUBLIC,
    /** Peers could not dial us back (a NAT or firewall): only relays and hole punching reach us. */
    PRIVATE
  }

  public Reachability {
    Objects.requireNonNull(status, "status");
    reachable = List.copyOf(reachable);
    observed = List.copyOf(observed);
    Objects.requireNonNull(checkedAt, "checkedAt");
  }

  /** Nothing known yet. */
  public static final Reachability UNKNOWN =
      new Reachability(Status.UNKNOWN, List.of(), List.of(), Optional.empty());
}
