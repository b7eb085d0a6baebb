package dev.plasm.transport.spi;

import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Whether other peers can dial this node, and how they reach it otherwise.
 *
 * @param status what the last check concluded
 * @param reachableAddresses the addresses peers dialed us back at (when {@link Status#PUBLIC})
 * @param observedAddresses what peers report seeing us at (behind a NAT: its outside address)
 * @param relayAddresses our relayed addresses while we hold relay reservations
 * @param checkedAt when the status was last decided, if ever
 */
public record Reachability(
    Status status,
    List<String> reachableAddresses,
    List<String> observedAddresses,
    List<String> relayAddresses,
    Optional<Instant> checkedAt) {

  /** The outcome of the reachability checks. */
  public enum Status {
    /** Not decided yet (too few peers answered, or the transport does not check). */
    UNKNOWN,
    /** Peers dialed us back: we can be dialed directly. */
    PUBLIC,
    /** Peers could not dial us back: only relays (and hole punching) reach us. */
    PRIVATE
  }

  /** Nothing known. */
  public static final Reachability UNKNOWN =
      new Reachability(Status.UNKNOWN, List.of(), List.of(), List.of(), Optional.empty());

  public Reachability {
    Objects.requireNonNull(status, "status");
    reachableAddresses = List.copyOf(reachableAddresses);
    observedAddresses = List.copyOf(observedAddresses);
    relayAddresses = List.copyOf(relayAddresses);
    Objects.requireNonNull(checkedAt, "checkedAt");
  }
}
