package dev.plasm.daemon.internal.remote;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The attempts a requester has out now, by executor, each with the moment it was sent.
 *
 * <p>An executor's offer counts the jobs it runs and queues as of when it was signed; attempts sent
 * before that moment are already in it. Placement subtracts only the attempts sent since (see {@link
 * #since}), so that a busy requester does not count its own jobs twice and see its executors fuller
 * than they are. Clocks of different nodes may differ by a little; the error lasts until the next
 * offer.
 */
final class Outstanding {
  private final Map<String, List<Instant>> sent = new HashMap<>(); // guarded by itself

  /** Counts an attempt as out to {@code peer} from now; returns the moment, for {@link #back}. */
  Instant sent(String peer) {
    Instant at = Instant.now();
    synchronized (sent) {
      sent.computeIfAbsent(peer, k -> new ArrayList<>()).add(at);
    }
    return at;
  }

  /** The attempt sent to {@code peer} at {@code at} has ended. */
  void back(String peer, Instant at) {
    synchronized (sent) {
      List<Instant> l = sent.get(peer);
      if (l != null && l.remove(at) && l.isEmpty()) {
        sent.remove(peer);
      }
    }
  }

  /** Attempts out to {@code peer} sent at or after {@code offeredAt}. */
  int since(String peer, Instant offeredAt) {
    synchronized (sent) {
      int n = 0;
      for (Instant t : sent.getOrDefault(peer, List.of())) {
        if (!t.isBefore(offeredAt)) {
          n++;
        }
      }
      return n;
    }
  }

  /** Attempts out to {@code peer}, whenever sent. */
  int out(String peer) {
    synchronized (sent) {
      return sent.getOrDefault(peer, List.of()).size();
    }
  }
}
