package dev.plasm.daemon.internal.worker;

/**
 * A worker's answer to one job: one line of JSON on its protocol stream, written after the job's
 * {@code result.json} is on disk.
 *
 * @param jobId the job it ran
 * @param rssBytes the worker's resident memory after the job, or -1 where unknown
 * @param cacheHits compiled modules the job took from the worker's cache (0 or 1)
 * @param cacheMisses modules the job had to compile (0 or 1)
 */
public record WorkerReply(String jobId, long rssBytes, long cacheHits, long cacheMisses) {
  /** The first line a worker writes: it has loaded its engines and is ready for jobs. */
  public static final String READY = "ready";
}
