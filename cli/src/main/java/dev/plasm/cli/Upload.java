package dev.plasm.cli;

import tools.jackson.databind.JsonNode;

/** Uploads a module to a daemon; on a terminal its progress is a bar in the status line. */
final class Upload {
  private Upload() {}

  /** {@code POST /v1/modules}; returns the daemon's answer ({@code {sha256, bytes}}). */
  static JsonNode module(DaemonClient c, byte[] module, String name, JobProgress live) {
    if (!live.live()) {
      return c.postBytes("/v1/modules", module);
    }
    String label = name == null ? "module" : name;
    live.upload(label, 0, module.length);
    // The body goes out in pieces; the bar moves as each is handed to the connection.
    return DaemonClient.JSON.readTree(
        c.request("/v1/modules")
            .post("application/wasm", module)
            .progress(n -> live.upload(label, n, module.length))
            .send());
  }
}
