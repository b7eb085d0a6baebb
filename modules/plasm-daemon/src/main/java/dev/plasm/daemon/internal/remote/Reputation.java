package dev.plasm.daemon.internal.remote;

import dev.plasm.daemon.internal.store.AtomicFiles;
import dev.plasm.daemon.internal.store.Json;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Map;
import java.util.TreeMap;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What this node has seen of each executor it sent jobs to, kept on disk ({@code STATE/peers.json})
 * across restarts: results accepted, failures (refused, lost), timeouts, and lies (a result that
 * failed a check, or was outvoted). Its score ranks providers; a lie costs far more than a failure.
 */
public final class Reputation {
  /** One peer's record. */
  public record Entry(long successes, long failures, long timeouts, long lies, Instant lastSeen) {
    static final Entry NEW = new Entry(0, 0, 0, 0, null);

    /** In (0, 1]: 0.5 for a stranger, up with each success, down with each failure, far down with a lie. */
    public double score() {
      return (successes + 1.0) / (successes + failures + 2.0 * timeouts + 10.0 * lies + 2.0);
    }
  }

  /** What an attempt taught about a peer. */
  enum Event {
    SUCCESS,
    FAILURE,
    TIMEOUT,
    LIE
  }

  private final Path file;
  private final Map<String, Entry> peers = new TreeMap<>();

  Reputation(Path stateDir) {
    this.file = stateDir.resolve("peers.json");
    try {
      if (Files.isRegularFile(file)) {
        JsonNode o = Json.MAPPER.readTree(Files.readAllBytes(file));
        for (var e : o.path("peers").properties()) {
          JsonNode p = e.getValue();
          peers.put(
              e.getKey(),
              new Entry(
                  p.path("successes").asLong(),
                  p.path("failures").asLong(),
                  p.path("timeouts").asLong(),
                  p.path("lies").asLong(),
                  p.has("lastSeen") ? Instant.parse(p.get("lastSeen").asString()) : null));
        }
      }
    } catch (IOException | RuntimeException e) {
      // A damaged file costs the history, not the node: every peer starts again as a stranger.
      peers.clear();
    }
  }

  synchronized Entry of(String peerId) {
    return peers.getOrDefault(peerId, Entry.NEW);
  }

  synchronized Map<String, Entry> all() {
    return Map.copyOf(peers);
  }

  /**
   * Records what happened. A lie is written to the file at once; successes and failures within
   * {@link #FLUSH_AFTER} (a node sending many jobs writes the file once a second, not once a job;
   * a crash loses at most that second of ordinary history, never a lie).
   */
  synchronized void record(String peerId, Event event) {
    Entry e = of(peerId);
    Entry n =
        switch (event) {
          case SUCCESS ->
              new Entry(e.successes() + 1, e.failures(), e.timeouts(), e.lies(), Instant.now());
          case FAILURE ->
              new Entry(e.successes(), e.failures() + 1, e.timeouts(), e.lies(), Instant.now());
          case TIMEOUT ->
              new Entry(e.successes(), e.failures(), e.timeouts() + 1, e.lies(), Instant.now());
          case LIE ->
              new Entry(e.successes(), e.failures(), e.timeouts(), e.lies() + 1, Instant.now());
        };
    peers.put(peerId, n);
    dirty = true;
    if (event == Event.LIE) {
      flush();
    } else if (!flushScheduled) {
      flushScheduled = true;
      Thread.ofVirtual()
          .name("plasm-reputation-flush")
          .start(
              () -> {
                try {
                  Thread.sleep(FLUSH_AFTER);
                } catch (InterruptedException ex) {
                  // Flush now.
                }
                flush();
              });
    }
  }

  /** How long an ordinary event may wait in memory before the file is written. */
  static final java.time.Duration FLUSH_AFTER = java.time.Duration.ofSeconds(1);

  private boolean dirty;
  private boolean flushScheduled;

  /** Writes the file (atomically, durably) if anything changed since it was last written. */
  synchronized void flush() {
    flushScheduled = false;
    if (!dirty) {
      return;
    }
    ObjectNode root = Json.MAPPER.createObjectNode();
    ObjectNode ps = root.putObject("peers");
    peers.forEach(
        (id, x) -> {
          ObjectNode p = ps.putObject(id);
          p.put("successes", x.successes())
              .put("failures", x.failures())
              .put("timeouts", x.timeouts())
              .put("lies", x.lies());
          if (x.lastSeen() != null) {
            p.put("lastSeen", x.lastSeen().toString());
          }
          p.put("score", Math.round(x.score() * 1000) / 1000.0);
        });
    try {
      AtomicFiles.write(file, Json.MAPPER.writeValueAsBytes(root));
      dirty = false;
    } catch (IOException ex) {
      // The figures stay in memory; the next flush tries again.
    }
  }
}
