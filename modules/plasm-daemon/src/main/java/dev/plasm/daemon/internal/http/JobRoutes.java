package dev.plasm.daemon.internal.http;

import dev.plasm.api.ConfigurationException;
import dev.plasm.api.Durations;
import dev.plasm.api.JobState;
import dev.plasm.daemon.DaemonConfig;
import dev.plasm.daemon.internal.exec.JobRunner;
import dev.plasm.daemon.internal.store.JobRecord;
import dev.plasm.daemon.internal.store.JobStore;
import dev.plasm.daemon.internal.store.Journal;
import dev.plasm.daemon.internal.store.Json;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code /v1/jobs...}: submit, list, show, wait for, read the output and receipt of, and cancel jobs. */
final class JobRoutes {
  static final Pattern JOB_PATH =
      Pattern.compile("/v1/jobs/([^/]+)(/(wait|stdout|stderr|receipt|cancel))?");

  /** A listing page stops growing past this many bytes of JSON (then {@code next} continues it). */
  static final int MAX_PAGE_BYTES = 1 << 20;

  private final DaemonConfig config;
  private final JobStore store;
  private final JobRunner runner;
  private final Submissions submissions;

  JobRoutes(DaemonConfig config, JobStore store, JobRunner runner, Submissions submissions) {
    this.config = config;
    this.store = store;
    this.runner = runner;
    this.submissions = submissions;
  }

  void jobs(Exchange ex) throws IOException {
    ex.allow("GET", "POST");
    if (ex.method().equals("POST")) {
      submit(ex);
    } else {
      list(ex);
    }
  }

  /** Serves {@code /v1/jobs/{id}[/...]}; false for other paths. */
  boolean job(Exchange ex) throws IOException {
    var m = JOB_PATH.matcher(ex.path());
    if (!m.matches()) {
      return false;
    }
    String id = m.group(1);
    String sub = m.group(3) == null ? "" : m.group(3);
    if (sub.equals("cancel")) {
      ex.allow("POST");
    } else {
      ex.allow("GET");
    }
    JobRecord r = find(id);
    switch (sub) {
      case "" -> {
        ex.onlyParams(Set.of());
        ex.json(200, JobViews.full(r));
      }
      case "wait" -> waitFor(ex, r);
      case "stdout" -> output(ex, r, JobStore.Part.STDOUT);
      case "stderr" -> output(ex, r, JobStore.Part.STDERR);
      case "receipt" -> {
        ex.onlyParams(Set.of());
        Journal.Region receipt = r.receipt() ? store.part(id, JobStore.Part.RECEIPT) : null;
        if (receipt == null) {
          throw ApiException.notFound(
              "receipt",
              r.terminal()
                  ? "the job has no receipt: "
                      + (r.reason() == null ? "it did not run to an outcome" : r.reason())
                  : "the job has not finished yet");
        }
        ex.file(200, "application/json", receipt.file(), receipt.offset(), receipt.length());
      }
      case "cancel" -> cancel(ex, id);
      default -> throw new AssertionError(sub);
    }
    return true;
  }

  private JobRecord find(String id) {
    if (!JobStore.ID.matcher(id).matches()) {
      throw ApiException.notFound(
          "id", "no job '" + id + "' (job ids look like 019abc12d3e4-0123456789abcdef)");
    }
    JobRecord r = store.get(id);
    if (r == null) {
      throw ApiException.notFound("id", "no job " + id);
    }
    return r;
  }

  private void submit(Exchange ex) throws IOException {
    ex.contentType("application/json");
    Map<String, String> q = ex.onlyParams(Set.of("wait"));
    // ?wait=D answers when the job ends (or after D) with its final state: one round trip for short
    // jobs.
    Duration wait = waitParam(q, "wait", Duration.ZERO);
    // A submission that waits is answered when the job ends or the wait runs out, never before its
    // record is on disk: its queued entry needs no forced write of its own (the job's next entry,
    // forced before it runs, takes it along).
    boolean later = wait.isPositive();
    Submissions.Accepted a = submissions.submit(ex.body(config.api().maxJsonBody()), later);
    ex.responseHeader("Location", "/v1/jobs/" + a.record().id());
    if (a.existing()) {
      store.awaitDurable(a.record().id()); // the first submission may still be waiting for its end
      ex.json(200, JobViews.full(a.record()));
      return;
    }
    JobRecord now = awaitEnd(a.record(), wait);
    if (later) {
      store.awaitDurable(a.record().id());
    }
    ex.json(202, JobViews.full(now == null ? a.record() : now));
  }

  private void list(Exchange ex) throws IOException {
    Map<String, String> q = ex.onlyParams(Set.of("limit", "before", "state"));
    int limit = 50;
    if (q.containsKey("limit")) {
      try {
        limit = Integer.parseInt(q.get("limit"));
      } catch (NumberFormatException e) {
        limit = -1;
      }
      if (limit < 1 || limit > 1000) {
        throw ApiException.invalid("limit", "limit must be a whole number from 1 to 1000");
      }
    }
    String before = q.get("before");
    if (before != null && !JobStore.ID.matcher(before).matches()) {
      throw ApiException.invalid("before", "before must be a job id");
    }
    JobState state = null;
    if (q.containsKey("state")) {
      state = JobState.byId(q.get("state"));
      if (state == null) {
        throw ApiException.invalid("state", "state must be one of " + JobState.names());
      }
    }
    List<JobStore.Entry> page = store.list(limit + 1, before, state);
    ObjectNode o = Json.MAPPER.createObjectNode();
    ArrayNode jobs = o.putArray("jobs");
    long bytes = 0;
    int shown = 0;
    for (JobStore.Entry e : page.subList(0, Math.min(limit, page.size()))) {
      ObjectNode v = JobViews.summary(e);
      bytes += Json.LINE.writeValueAsBytes(v).length;
      if (shown > 0 && bytes > MAX_PAGE_BYTES) {
        break; // the page is full by size before it is by count
      }
      jobs.add(v);
      shown++;
    }
    if (shown < page.size()) {
      o.put("next", page.get(shown - 1).record().id());
    }
    ex.json(200, o);
  }

  private void waitFor(Exchange ex, JobRecord r) throws IOException {
    Map<String, String> q = ex.onlyParams(Set.of("timeout"));
    Duration timeout = waitParam(q, "timeout", Duration.ofSeconds(30));
    JobRecord now = awaitEnd(r, timeout);
    if (now != null) {
      ex.json(200, JobViews.full(now));
    }
  }

  /** A long-poll duration from the query, at most {@code api.max-wait}. */
  private Duration waitParam(Map<String, String> q, String name, Duration dflt) {
    Duration d = dflt;
    if (q.containsKey(name)) {
      try {
        d = Durations.parse(name, q.get(name));
      } catch (ConfigurationException e) {
        throw ApiException.invalid(name, e.getMessage());
      }
    }
    if (d.compareTo(config.api().maxWait()) > 0) {
      throw ApiException.invalid(
          name,
          name
              + " is over this node's api.max-wait of "
              + config.api().maxWait().toSeconds()
              + "s");
    }
    return d;
  }

  /** The job once it has ended, or as it is after {@code timeout}; null if interrupted. */
  private JobRecord awaitEnd(JobRecord r, Duration timeout) {
    if (r.terminal() || timeout.isZero()) {
      return r.terminal() ? r : store.get(r.id());
    }
    try {
      return store.whenDone(r.id()).get(timeout.toNanos(), TimeUnit.NANOSECONDS);
    } catch (TimeoutException e) {
      return store.get(r.id());
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    } catch (ExecutionException e) {
      throw new IllegalStateException(e);
    }
  }

  private void cancel(Exchange ex, String id) throws IOException {
    ex.onlyParams(Set.of());
    switch (runner.cancel(id)) {
      case CANCELLED -> ex.json(200, JobViews.full(store.get(id)));
      case ALREADY_ENDED ->
          throw new ApiException(
              409,
              "already-ended",
              "id",
              "job " + id + " already ended (" + store.state(id).id() + ")");
      case UNKNOWN -> throw ApiException.notFound("id", "no job " + id);
    }
  }

  /**
   * A job's output from {@code ?offset=N} (default 0) to what is there now. {@code
   * X-Plasm-Next-Offset} says where the next read starts and {@code X-Plasm-Output-Complete: true}
   * that the job had ended before the read began, so nothing more will come.
   */
  private void output(Exchange ex, JobRecord r, JobStore.Part part) throws IOException {
    Map<String, String> q = ex.onlyParams(Set.of("offset"));
    long offset = 0;
    if (q.containsKey("offset")) {
      try {
        offset = Long.parseLong(q.get("offset"));
      } catch (NumberFormatException e) {
        offset = -1;
      }
      if (offset < 0) {
        throw ApiException.invalid("offset", "offset must be a whole number of bytes >= 0");
      }
    }
    boolean complete =
        store.state(r.id()).terminal(); // read before the size: output never grows after the end
    Journal.Region where = store.part(r.id(), part);
    long size = where == null ? 0 : where.length();
    if (offset > size) {
      throw ApiException.invalid(
          "offset",
          "offset "
              + offset
              + " is past the "
              + size
              + " bytes of "
              + part.fileName
              + " there are"
              + (complete ? "" : " so far"));
    }
    ex.responseHeader("X-Plasm-Next-Offset", Long.toString(size));
    ex.responseHeader("X-Plasm-Output-Complete", Boolean.toString(complete));
    if (where == null) {
      ex.bytes(200, "application/octet-stream", new byte[0]);
    } else {
      ex.file(
          200, "application/octet-stream", where.file(), where.offset() + offset, size - offset);
    }
  }
}
