package dev.plasm.daemon.internal.remote;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/** The counters of jobs across peers, rendered into {@code /metrics} (Prometheus text format). */
final class RemoteMetrics {
  private final AtomicLong accepted = new AtomicLong();
  private final Map<String, AtomicLong> refused = new TreeMap<>();
  private final AtomicLong dispatched = new AtomicLong();
  private final Map<String, AtomicLong> attempts = new TreeMap<>();
  private final Map<String, AtomicLong> rejected = new TreeMap<>();

  /** A job from another peer was taken here. */
  void accepted() {
    accepted.incrementAndGet();
  }

  /** A job from another peer was refused, with this code. */
  void refused(String code) {
    count(refused, code);
  }

  /** One of this node's jobs went out to other nodes. */
  void dispatched() {
    dispatched.incrementAndGet();
  }

  /** An attempt on an executor ended with this result ({@code ok}, {@code refused}, {@code lost}, ...). */
  void attempt(String result) {
    count(attempts, result);
  }

  /** A result failed a check (named) and was not accepted. */
  void rejected(String check) {
    count(rejected, check);
  }

  private static void count(Map<String, AtomicLong> m, String k) {
    synchronized (m) {
      m.computeIfAbsent(k, x -> new AtomicLong()).incrementAndGet();
    }
  }

  String render() {
    StringBuilder b = new StringBuilder();
    b.append("# HELP plasm_remote_jobs_accepted_total Jobs from other peers taken by this node.\n");
    b.append("# TYPE plasm_remote_jobs_accepted_total counter\n");
    b.append("plasm_remote_jobs_accepted_total ").append(accepted.get()).append('\n');
    labelled(
        b,
        "plasm_remote_jobs_refused_total",
        "Jobs from other peers refused by this node, by refusal code.",
        "code",
        refused);
    b.append("# HELP plasm_remote_jobs_dispatched_total This node's jobs sent to other nodes.\n");
    b.append("# TYPE plasm_remote_jobs_dispatched_total counter\n");
    b.append("plasm_remote_jobs_dispatched_total ").append(dispatched.get()).append('\n');
    labelled(
        b,
        "plasm_remote_attempts_total",
        "Attempts of this node's jobs on other nodes, by result.",
        "result",
        attempts);
    labelled(
        b,
        "plasm_remote_results_rejected_total",
        "Results from other nodes that failed a check, by check.",
        "check",
        rejected);
    return b.toString();
  }

  private static void labelled(
      StringBuilder b, String name, String help, String label, Map<String, AtomicLong> m) {
    b.append("# HELP ").append(name).append(' ').append(help).append('\n');
    b.append("# TYPE ").append(name).append(" counter\n");
    synchronized (m) {
      m.forEach(
          (k, v) ->
              b.append(name)
                  .append('{')
                  .append(label)
                  .append("=\"")
                  .append(k)
                  .append("\"} ")
                  .append(v.get())
                  .append('\n'));
    }
  }
}
