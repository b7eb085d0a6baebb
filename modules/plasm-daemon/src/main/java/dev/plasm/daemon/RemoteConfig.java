package dev.plasm.daemon;

import java.time.Duration;
import java.util.List;
import java.util.Objects;

/**
 * The daemon's {@code [remote]} settings (docs/config.md, docs/remote.md): whether it runs jobs for
 * other peers, for whom, how many, and how it offers itself; and how it dispatches its own jobs.
 *
 * @param enabled run jobs for other peers and offer this node on the DHT (default false; this node
 *     can send its own jobs to others whenever p2p is on)
 * @param allow peer ids whose jobs this node runs (empty: any peer not denied)
 * @param deny peer ids whose jobs this node never runs
 * @param maxConcurrent jobs for other peers queued or running here at once
 * @param perPeerConcurrent of those, from one peer
 * @param perPeerPerMinute jobs one peer may submit here per minute
 * @param offerInterval how often the node record (free slots) is republished
 * @param offerTtl how long a node record is valid after it is signed
 * @param maxAttempts executors one remote job (one copy, for redundancy) is tried on before it fails
 * @param maxDispatch this node's own remote jobs in flight at once
 */
public record RemoteConfig(
    boolean enabled,
    List<String> allow,
    List<String> deny,
    int maxConcurrent,
    int perPeerConcurrent,
    int perPeerPerMinute,
    Duration offerInterval,
    Duration offerTtl,
    int maxAttempts,
    int maxDispatch) {

  public static final RemoteConfig DEFAULTS =
      new RemoteConfig(
          false,
          List.of(),
          List.of(),
          16,
          4,
          600,
          Duration.ofSeconds(30),
          Duration.ofMinutes(2),
          3,
          64);

  public RemoteConfig {
    allow = List.copyOf(allow);
    deny = List.copyOf(deny);
    Objects.requireNonNull(offerInterval, "offerInterval");
    Objects.requireNonNull(offerTtl, "offerTtl");
  }

  /** Whether jobs from {@code peerId} may run here (enabled, allowed, not denied). */
  public boolean admits(String peerId) {
    return enabled && !deny.contains(peerId) && (allow.isEmpty() || allow.contains(peerId));
  }

  public RemoteConfig withEnabled(boolean on) {
    return new RemoteConfig(
        on,
        allow,
        deny,
        maxConcurrent,
        perPeerConcurrent,
        perPeerPerMinute,
        offerInterval,
        offerTtl,
        maxAttempts,
        maxDispatch);
  }
}
