package dev.plasm.daemon.internal.http;

import dev.plasm.daemon.internal.store.JobRecord;
import dev.plasm.daemon.internal.store.JobRecordJson;
import dev.plasm.daemon.internal.store.JobStore;
import tools.jackson.databind.node.ObjectNode;

/**
 * A job as the API shows it. Environment values are never shown (they may be secrets), only their
 * names. A listing shows summaries: without arguments and environment names, so that a page's size
 * depends on the number of jobs, not on what their submitters sent.
 */
final class JobViews {
  private JobViews() {}

  static ObjectNode full(JobRecord r) {
    return JobRecordJson.write(r, JobRecordJson.View.FULL);
  }

  static ObjectNode summary(JobStore.Entry e) {
    return JobRecordJson.summary(e);
  }
}
