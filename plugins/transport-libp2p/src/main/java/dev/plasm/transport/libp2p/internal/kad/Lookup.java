package dev.plasm.transport.libp2p.internal.kad;

import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.internal.kad.KadMessage.Peer;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;

/**
 * One iterative Kademlia lookup (kad-dht/README.md §Peer routing): keeps the candidates sorted by
 * distance to the target, queries up to {@code alpha} of the {@code k} closest unqueried ones at a
 * time, merges the closer peers they return, and ends when the {@code k} closest live candidates
 * have all answered, when no candidate is left, when a response asks to stop, or at the timeout.
 *
 * <p>Each query runs on its own virtual thread; queries still running when the lookup ends finish
 * on their own (each is bounded by the request timeout) and their results are dropped. A query
 * unanswered after the patience given to {@link #run} counts as slow: the lookup stops waiting for
 * it (as if it had failed) and asks the next candidate, but still takes its answer if it comes
 * before the end, so one frozen peer costs a lookup the patience, not the request timeout.
 */
final class Lookup {
  /** What one query returned: closer peers, and whether the lookup may stop now. */
  record Result(List<Peer> closer, boolean stop) {}

  @FunctionalInterface
  interface Query {
    Result ask(Peer peer) throws IOException;
  }

  private enum State {
    NEW,
    WAITING,
    SLOW,
    ANSWERED,
    FAILED
  }

  private static final class Candidate {
    final Peer peer;
    final KadKey key;
    State state = State.NEW;
    long askedAt;

    Candidate(Peer peer) {
      this.peer = peer;
      this.key = KadKey.of(peer.id());
    }
  }

  private record Done(Candidate candidate, Result result, Exception error) {}

  private final KadKey target;
  private final int k;
  private final int alpha;
  private final int maxCandidates;
  private final PeerId self;
  private final Map<PeerId, Candidate> candidates = new HashMap<>();

  Lookup(KadKey target, int k, int alpha, int maxCandidates, PeerId self) {
    this.target = target;
    this.k = k;
    this.alpha = alpha;
    this.maxCandidates = maxCandidates;
    this.self = self;
  }

  /** Adds a candidate (ourselves and known ones are ignored; missing addresses are filled in). */
  void offer(Peer p) {
    if (p.id().equals(self) || candidates.size() >= maxCandidates) {
      return;
    }
    Candidate old = candidates.get(p.id());
    if (old == null) {
      candidates.put(p.id(), new Candidate(p));
    } else if (old.peer.addrs().isEmpty() && !p.addrs().isEmpty() && old.state == State.NEW) {
      candidates.put(p.id(), new Candidate(p));
    }
  }

  private List<Candidate> closestLive() {
    List<Candidate> live = new ArrayList<>();
    for (Candidate c : candidates.values()) {
      if (c.state != State.FAILED && c.state != State.SLOW) {
        live.add(c);
      }
    }
    live.sort(Comparator.comparing(c -> c.key, target::compareDistance));
    return live.size() > k ? live.subList(0, k) : live;
  }

  /**
   * Runs the lookup, waiting at most {@code patience} (asked again at each step: it follows the
   * answers coming in) for any one answer before going on without it; returns the peers that
   * answered, closest first, at most {@code k}.
   */
  List<Peer> run(Duration timeout, Supplier<Duration> patience, Query query) {
    BlockingQueue<Done> done = new LinkedBlockingQueue<>();
    long deadline = System.nanoTime() + timeout.toNanos();
    List<Candidate> waiting = new ArrayList<>();
    int inFlight = 0;
    while (true) {
      List<Candidate> closest = closestLive();
      boolean allAnswered =
          !closest.isEmpty() && closest.stream().allMatch(c -> c.state == State.ANSWERED);
      if (allAnswered) {
        break;
      }
      for (Candidate c : closest) {
        if (inFlight >= alpha) {
          break;
        }
        if (c.state == State.NEW) {
          c.state = State.WAITING;
          c.askedAt = System.nanoTime();
          waiting.add(c);
          inFlight++;
          Thread.startVirtualThread(
              () -> {
                try {
                  done.add(new Done(c, query.ask(c.peer), null));
                } catch (IOException | RuntimeException e) {
                  done.add(new Done(c, null, e));
                }
              });
        }
      }
      if (inFlight == 0) {
        break; // nothing left to ask
      }
      long patienceNanos = patience.get().toNanos();
      long wakeAt = deadline;
      for (Candidate c : waiting) {
        wakeAt = Math.min(wakeAt, c.askedAt + patienceNanos);
      }
      Done d;
      try {
        d = done.poll(Math.max(0, wakeAt - System.nanoTime()), TimeUnit.NANOSECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        break;
      }
      if (d == null) {
        long now = System.nanoTime();
        if (now - deadline >= 0) {
          KadNode.LOG.log(
              System.Logger.Level.DEBUG, "kad lookup for {0} timed out after {1}", target, timeout);
          break;
        }
        for (Candidate c : List.copyOf(waiting)) {
          if (now - (c.askedAt + patienceNanos) >= 0) {
            c.state = State.SLOW; // its slot goes to the next candidate
            waiting.remove(c);
            inFlight--;
            KadNode.LOG.log(
                System.Logger.Level.DEBUG,
                "kad lookup for {0}: {1} is slow, going on without it",
                target,
                c.peer.id());
          }
        }
        continue;
      }
      boolean wasSlow = d.candidate.state == State.SLOW;
      if (!wasSlow) {
        waiting.remove(d.candidate);
        inFlight--;
      }
      if (d.error != null) {
        d.candidate.state = State.FAILED;
        continue;
      }
      d.candidate.state = State.ANSWERED;
      for (Peer p : d.result.closer()) {
        offer(p);
      }
      if (d.result.stop()) {
        break;
      }
    }
    List<Peer> answered = new ArrayList<>();
    for (Candidate c : closestLiveAnswered()) {
      answered.add(c.peer);
    }
    return answered;
  }

  private List<Candidate> closestLiveAnswered() {
    List<Candidate> out = new ArrayList<>();
    for (Candidate c : candidates.values()) {
      if (c.state == State.ANSWERED) {
        out.add(c);
      }
    }
    out.sort(Comparator.comparing(c -> c.key, target::compareDistance));
    return out.size() > k ? out.subList(0, k) : out;
  }
}
