package dev.plasm.daemon.internal.http;

import java.util.List;
import java.util.Map;

/**
 * The body of {@code POST /v1/jobs} (docs/http-api.md). Exactly one of {@code module} (a sha256 of
 * an uploaded module) and {@code moduleBase64} is given.
 */
record SubmitRequest(
    String module,
    String moduleBase64,
    String programName,
    List<String> args,
    Map<String, String> env,
    String stdinBase64,
    LimitsRequest limits,
    String engine,
    String idempotencyKey,
    String nonce,
    Boolean deterministic) {

  /** Requested limits; an absent one is the node's. */
  record LimitsRequest(
      Long maxMemoryBytes, Long maxTableElements, Long timeoutMillis, Long fuel, Long maxOutputBytes, Long maxModuleBytes) {}
}
