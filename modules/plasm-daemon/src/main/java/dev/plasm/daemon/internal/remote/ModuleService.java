package dev.plasm.daemon.internal.remote;

import dev.plasm.api.Limit;
import dev.plasm.daemon.internal.log.Log;
import dev.plasm.daemon.internal.store.Json;
import dev.plasm.daemon.internal.store.ModuleStore;
import dev.plasm.transport.spi.PeerStream;
import dev.plasm.transport.spi.Transport;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.ProtocolException;
import java.nio.file.Files;
import java.time.Duration;
import tools.jackson.databind.JsonNode;

/**
 * {@code /plasm/module/1.0.0} (docs/remote.md): modules by sha256. A node serves every module it
 * holds to any peer that names its hash, and fetches one from a peer as a stream whose bytes are
 * checked against the hash before anything uses them.
 */
final class ModuleService {
  static final String PROTOCOL = "/plasm/module/1.0.0";

  /** Time for the request, and for each frame of the answer. */
  static final Duration FRAME_TIMEOUT = Duration.ofSeconds(15);

  private final ModuleStore modules;
  private final Log log;

  ModuleService(ModuleStore modules, Log log) {
    this.modules = modules;
    this.log = log;
  }

  /** Refuses a malformed request, with one log line. */
  private void badRequest(PeerStream s, String field, String why) throws IOException {
    log.warn(
        "refused a peer's module request", "peer", s.peerId(), "code", "bad-request", "why", why);
    JobService.refuse(s.output(), "bad-request", field, why, 0);
  }

  /** Serves one request. */
  void serve(PeerStream s) throws IOException {
    JsonNode req = JobService.request(s, PROTOCOL, 1024, log, why -> badRequest(s, null, why));
    if (req == null) {
      return;
    }
    OutputStream out = s.output();
    try (Deadlines.Deadline d = Deadlines.after(FRAME_TIMEOUT, s::reset)) {
      String sha = req.path("sha256").asString("");
      if (!"get".equals(req.path("type").asString(""))
          || !ModuleStore.SHA256.matcher(sha).matches()) {
        badRequest(s, "sha256", "send {\"type\": \"get\", \"sha256\": <64 lower-case hex digits>}");
        return;
      }
      if (!modules.has(sha)) {
        JobService.refuse(out, "module-unavailable", "sha256", "this node has no module " + sha, 0);
        return;
      }
      byte[] bytes = Files.readAllBytes(modules.path(sha));
      Frames.control(
          out,
          Json.MAPPER
              .createObjectNode()
              .put("type", "module")
              .put("sha256", sha)
              .put("bytes", bytes.length));
      for (int off = 0; off < bytes.length; off += Frames.CHUNK) {
        d.in(FRAME_TIMEOUT); // a reader that stalls is dropped, one frame at a time
        Frames.write(out, Frames.DATA, bytes, off, Math.min(Frames.CHUNK, bytes.length - off));
      }
      Frames.control(out, Json.MAPPER.createObjectNode().put("type", "end"));
      s.closeWrite();
    }
  }

  /** Why a fetch failed, for the requester's reason and the peer's reputation. */
  static final class FetchException extends IOException {
    final boolean lie;

    FetchException(String message, boolean lie) {
      super(message);
      this.lie = lie;
    }
  }

  /**
   * Fetches module {@code sha} from {@code peerId} into the store, refusing more than {@code max}
   * bytes and any bytes that do not hash to {@code sha}.
   */
  void fetch(Transport transport, String peerId, String sha, long max) throws IOException {
    PeerStream s = transport.openStream(peerId, PROTOCOL);
    try (s;
        Deadlines.Deadline d = Deadlines.after(FRAME_TIMEOUT, s::reset)) {
      Frames.control(
          s.output(), Json.MAPPER.createObjectNode().put("type", "get").put("sha256", sha));
      s.closeWrite();
      Frames.Frame head = Frames.read(s.input(), 64 * 1024);
      if (head == null) {
        throw new EOFException("the peer closed the stream without an answer");
      }
      JsonNode h = head.json();
      if ("refused".equals(h.path("type").asString(""))) {
        throw new FetchException(
            peerId
                + " refused: "
                + h.path("code").asString("")
                + ": "
                + h.path("message").asString(""),
            false);
      }
      long bytes = h.path("bytes").asLong(-1);
      if (!"module".equals(h.path("type").asString("")) || bytes < 0) {
        throw new ProtocolException("not a module answer");
      }
      if (bytes > max) {
        throw new FetchException(
            Limit.MODULE_SIZE.over("the module", bytes, max) + " (this node's limits.module-size)",
            false);
      }
      InputStream body =
          new InputStream() {
            private byte[] chunk = new byte[0];
            private int pos;
            private long left = bytes;

            @Override
            public int read() throws IOException {
              byte[] one = new byte[1];
              return read(one, 0, 1) < 0 ? -1 : one[0] & 0xff;
            }

            @Override
            public int read(byte[] b, int off, int len) throws IOException {
              while (pos == chunk.length) {
                if (left == 0) {
                  return -1;
                }
                d.in(FRAME_TIMEOUT);
                Frames.Frame f = Frames.read(s.input(), Frames.CHUNK);
                if (f == null || f.type() != Frames.DATA) {
                  throw new ProtocolException("the module ended " + left + " bytes short");
                }
                if (f.payload().length > left) {
                  throw new ProtocolException("more module bytes than announced");
                }
                chunk = f.payload();
                pos = 0;
                left -= chunk.length;
              }
              int n = Math.min(len, chunk.length - pos);
              System.arraycopy(chunk, pos, b, off, n);
              pos += n;
              return n;
            }
          };
      try {
        modules.put(body, max, sha);
      } catch (ModuleStore.HashMismatchException e) {
        throw new FetchException(
            peerId + " sent other bytes than the module asked for: " + e.getMessage(), true);
      }
    }
  }
}
