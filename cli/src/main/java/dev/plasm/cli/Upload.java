package dev.plasm.cli;

import java.net.http.HttpRequest;
import java.util.concurrent.atomic.AtomicLong;
import tools.jackson.databind.JsonNode;

/** Uploads a module to a daemon; on a terminal its progress is a bar in the status line. */
final class Upload {
  /** Bytes handed to the HTTP client at a time: the bar moves in steps of this. */
  private static final int CHUNK = 64 * 1024;

  private Upload() {}

  /** {@code POST /v1/modules}; returns the daemon's answer ({@code {sha256, bytes}}). */
  static JsonNode module(DaemonClient c, byte[] module, String name, JobProgress live) {
    if (!live.live()) {
      return c.postBytes("/v1/modules", module);
    }
    AtomicLong sent = new AtomicLong();
    live.upload(name == null ? "module" : name, 0, module.length);
    HttpRequest.BodyPublisher chunks = HttpRequest.BodyPublishers.ofByteArrays(() -> new java.util.Iterator<>() {
      private int next;

      @Override
      public boolean hasNext() {
        return next < module.length;
      }

      @Override
      public byte[] next() {
        int n = Math.min(CHUNK, module.length - next);
        byte[] chunk = java.util.Arrays.copyOfRange(module, next, next + n);
        next += n;
        // Asked for the next chunk: the previous ones are on their way.
        live.upload(name == null ? "module" : name, sent.addAndGet(n), module.length);
        return chunk;
      }
    });
    // The length is known, so the request has a Content-Length (the daemon reads no chunked bodies).
    HttpRequest.BodyPublisher body = HttpRequest.BodyPublishers.fromPublisher(chunks, module.length);
    return DaemonClient.JSON.readTree(c.send(c.request("/v1/modules").header("Content-Type", "application/wasm")
        .POST(body).build()));
  }
}
