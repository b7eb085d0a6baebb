package dev.plasm.daemon.internal.http;

import dev.plasm.daemon.DaemonConfig;
import dev.plasm.daemon.internal.store.Json;
import dev.plasm.daemon.internal.store.ModuleStore;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.util.Arrays;
import tools.jackson.databind.node.ObjectNode;

/** {@code POST /v1/modules} and {@code GET|HEAD /v1/modules/{sha256}}: modules by their hash. */
final class ModuleRoutes {
  static final byte[] WASM_MAGIC = {0, 'a', 's', 'm'};

  private final DaemonConfig config;
  private final ModuleStore modules;
  private final java.util.function.Supplier<dev.plasm.daemon.internal.remote.RemoteNode> remote;

  ModuleRoutes(
      DaemonConfig config,
      ModuleStore modules,
      java.util.function.Supplier<dev.plasm.daemon.internal.remote.RemoteNode> remote) {
    this.config = config;
    this.modules = modules;
    this.remote = remote;
  }

  void upload(Exchange ex) throws IOException {
    ex.allow("POST");
    ex.contentType("application/wasm", "application/octet-stream");
    ex.onlyParams(java.util.Set.of());
    long max = config.limits().maxModuleBytes();
    long declared = ex.request().contentLength();
    if (declared > max) {
      throw new ApiException(
          413,
          "payload-too-large",
          null,
          "the module is "
              + declared
              + " bytes; this node accepts modules of at most "
              + max
              + " bytes (limits.module-size)");
    }
    InputStream in = new BufferedInputStream(ex.request().body());
    in.mark(4);
    byte[] head = in.readNBytes(4);
    in.reset();
    if (!Arrays.equals(head, WASM_MAGIC)) {
      throw ApiException.badRequest(
          "not-wasm", null, "the body is not a WebAssembly binary (it must start with \\0asm)");
    }
    ModuleStore.Stored s = modules.put(in, max);
    var r = remote.get();
    if (s.created() && r != null) {
      r.announceModule(s.sha256()); // executors may fetch it from this node by its hash
    }
    ObjectNode o = Json.MAPPER.createObjectNode().put("sha256", s.sha256()).put("bytes", s.bytes());
    ex.responseHeader("Location", "/v1/modules/" + s.sha256());
    ex.json(s.created() ? 201 : 200, o);
  }

  void get(Exchange ex, String sha) throws IOException {
    ex.allow("GET", "HEAD");
    ex.onlyParams(java.util.Set.of());
    if (!ModuleStore.SHA256.matcher(sha).matches()) {
      throw ApiException.badRequest(
          "invalid-value", "sha256", "'" + sha + "' is not a sha256 (64 lower-case hex digits)");
    }
    if (!modules.has(sha)) {
      throw ApiException.notFound(
          "sha256", "no module " + sha + " on this node; upload it with POST /v1/modules");
    }
    ex.file(200, "application/wasm", modules.path(sha), 0, Files.size(modules.path(sha)));
  }
}
