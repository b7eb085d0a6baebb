package dev.plasm.cli;

import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import dev.plasm.api.ExecutionOutcome;
import dev.plasm.api.Usage;
import dev.plasm.daemon.DaemonConfig;
import dev.plasm.job.JobJson;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * How {@code plasm submit}, {@code jobs} and {@code job} reach a daemon. The address comes from
 * {@code --daemon}, else {@code $PLASM_DAEMON}, else the daemon's config file ({@code --config}),
 * else {@code $PLASM_HOME/daemon.json} (written by a running daemon), else {@code
 * /etc/plasm/plasmd.toml} when it exists, else {@code 127.0.0.1:8080}; the token from {@code
 * --token-file}, else {@code $PLASM_TOKEN}, else the token file in the state directory of the same
 * source.
 */
final class DaemonClient {
  /** Exit codes of the client commands (sysexits.h). */
  static final int UNAVAILABLE = 69;
  static final int NO_PERMISSION = 77;
  static final int TRY_LATER = 75;

  static final JsonMapper JSON = JsonMapper.builder().build();

  /** The options every client command has (a picocli mixin). */
  static final class Options {
    @Option(names = "--daemon", paramLabel = "HOST:PORT", description = "The daemon's address. Default: $PLASM_DAEMON, else the address in $PLASM_HOME/daemon.json (written by a running daemon), else 127.0.0.1:8080.")
    String address;

    @Option(names = "--token-file", paramLabel = "FILE", description = "The file holding the daemon's API token. Default: $PLASM_TOKEN, else the file 'token' in the daemon's state directory.")
    Path tokenFile;

    @Option(names = "--config", paramLabel = "FILE", description = "The daemon's config file: its api.listen and state-dir say where the daemon and its token are.")
    Path config;

    @Option(names = "--json", description = "Print the daemon's answer as one JSON document (its fields: docs/http-api.md).")
    boolean json;

    @Option(names = {"-q", "--quiet"}, description = "Print only what a script needs (ids, one per line), with no headers, status line or summary.")
    boolean quiet;
  }

  /** A failure to report: message and exit code. */
  static final class Failure extends RuntimeException {
    final int exitCode;
    /** The API's error code ({@code p2p-disabled}, ...), or null when the daemon did not answer with one. */
    final String apiCode;

    Failure(int exitCode, String message) {
      this(exitCode, message, null);
    }

    Failure(int exitCode, String message, String apiCode) {
      super(message, null, false, false);
      this.exitCode = exitCode;
      this.apiCode = apiCode;
    }
  }

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final String base;
  private final String token;

  DaemonClient(Options o, Map<String, String> env) {
    Path home = PlasmPaths.home(env);
    String addr = o.address != null ? o.address : env.get("PLASM_DAEMON");
    if (o.config != null) {
      DaemonConfig cfg = DaemonConfig.read(o.config);
      home = cfg.resolveStateDir(env);
      if (addr == null) {
        addr = connectable(cfg);
      }
    }
    if (addr == null) {
      try {
        JsonNode j = JSON.readTree(Files.readString(home.resolve("daemon.json")));
        addr = j.get("address").asString();
      } catch (IOException | RuntimeException e) {
        addr = null;
      }
    }
    if (addr == null && o.address == null && Files.isRegularFile(DaemonConfig.DEFAULT_FILE)) {
      DaemonConfig cfg = DaemonConfig.read(DaemonConfig.DEFAULT_FILE);
      addr = connectable(cfg);
      if (!Files.isRegularFile(home.resolve("token"))) {
        home = cfg.resolveStateDir(env);
      }
    }
    if (addr == null) {
      addr = "127.0.0.1:8080";
    }
    this.base = addr.startsWith("http://") ? addr : "http://" + addr;
    String t = null;
    if (o.tokenFile != null) {
      t = read(o.tokenFile, "--token-file");
    } else if (env.get("PLASM_TOKEN") != null) {
      t = env.get("PLASM_TOKEN");
    } else if (Files.isRegularFile(home.resolve("token"))) {
      t = read(home.resolve("token"), "the token file");
    }
    this.token = t == null ? "" : t.strip();
  }

  /**
   * Where to connect for a daemon with this config: a wildcard listen address means this machine;
   * null for port 0 (the daemon picked one: its state directory's daemon.json says which).
   */
  static String connectable(DaemonConfig cfg) {
    if (cfg.api().listenPort() == 0) {
      return null;
    }
    String h = cfg.api().listenHost();
    if (h.equals("0.0.0.0") || h.isEmpty()) {
      h = "127.0.0.1";
    } else if (h.equals("::") || h.equals("0:0:0:0:0:0:0:0")) {
      h = "::1";
    }
    return (h.contains(":") ? "[" + h + "]" : h) + ":" + cfg.api().listenPort();
  }

  private static String read(Path p, String what) {
    try {
      return Files.readString(p, StandardCharsets.US_ASCII);
    } catch (NoSuchFileException e) {
      throw new Failure(ExitCodes.NO_INPUT, what + " " + p + ": no such file");
    } catch (IOException e) {
      throw new Failure(ExitCodes.NO_INPUT, what + " " + p + ": " + e.getMessage());
    }
  }

  /** The daemon's base URL, {@code http://HOST:PORT}. */
  String address() {
    return base;
  }

  HttpRequest.Builder request(String path) {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(base + path)).timeout(Duration.ofMinutes(6));
    if (!token.isEmpty()) {
      b.header("Authorization", "Bearer " + token);
    }
    return b;
  }

  JsonNode getJson(String path) {
    return JSON.readTree(send(request(path).GET().build()));
  }

  byte[] getBytes(String path) {
    return send(request(path).GET().build());
  }

  /** A piece of a job's output and where the next piece starts. */
  record Chunk(byte[] bytes, long nextOffset, boolean complete) {}

  /** The output {@code stream} (stdout or stderr) of a job from {@code offset} on. */
  Chunk output(String id, String stream, long offset) {
    HttpResponse<byte[]> r = exchange(request("/v1/jobs/" + id + "/" + stream + "?offset=" + offset).GET().build());
    long next = r.headers().firstValueAsLong("X-Plasm-Next-Offset").orElse(offset + r.body().length);
    boolean complete = r.headers().firstValue("X-Plasm-Output-Complete").map(Boolean::parseBoolean).orElse(false);
    return new Chunk(r.body(), next, complete);
  }

  JsonNode postJson(String path, String json) {
    return JSON.readTree(send(request(path).header("Content-Type", "application/json")
        .POST(HttpRequest.BodyPublishers.ofString(json)).build()));
  }

  JsonNode postBytes(String path, byte[] body) {
    return JSON.readTree(send(request(path).header("Content-Type", "application/wasm")
        .POST(HttpRequest.BodyPublishers.ofByteArray(body)).build()));
  }

  /** Sends a request; a non-2xx answer becomes a {@link Failure} with the API's message. */
  byte[] send(HttpRequest req) {
    return exchange(req).body();
  }

  private HttpResponse<byte[]> exchange(HttpRequest req) {
    HttpResponse<byte[]> r;
    try {
      r = http.send(req, HttpResponse.BodyHandlers.ofByteArray());
    } catch (ConnectException e) {
      throw new Failure(UNAVAILABLE, "no daemon at " + base);
    } catch (IOException e) {
      throw new Failure(UNAVAILABLE, "cannot talk to the daemon at " + base + ": " + e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new Failure(UNAVAILABLE, "interrupted");
    }
    int s = r.statusCode();
    if (s / 100 == 2) {
      return r;
    }
    String message = new String(r.body(), StandardCharsets.UTF_8);
    String apiCode = null;
    try {
      JsonNode e = JSON.readTree(r.body()).get("error");
      message = e.get("message").asString();
      apiCode = e.has("code") ? e.get("code").asString() : null;
    } catch (RuntimeException ignored) {
      // Not an API error document; show the body.
    }
    int code = switch (s) {
      case 401, 403, 421 -> NO_PERMISSION;
      case 404 -> ExitCodes.NO_INPUT;
      case 429, 503 -> TRY_LATER;
      case 400, 409, 413 -> ExitCodes.USAGE;
      default -> UNAVAILABLE;
    };
    throw new Failure(code, message + " (HTTP " + s + ")", apiCode);
  }

  /** Long-polls until the job ends. */
  JsonNode await(String id) {
    while (true) {
      JsonNode j = getJson("/v1/jobs/" + id + "/wait?timeout=60s");
      if (terminal(j)) {
        return j;
      }
    }
  }

  static boolean terminal(JsonNode j) {
    String s = j.get("state").asString();
    return !s.equals("queued") && !s.equals("running");
  }

  /** How a job that ran ended, read from its JSON once; null for a job that never started. */
  static ExecutionOutcome outcome(JsonNode j) {
    if (!j.has("outcome")) {
      return null;
    }
    Usage usage = j.has("usage") ? JobJson.usage(j.get("usage"), "usage") : Usage.NONE;
    return JobJson.outcome(j.get("outcome"), usage, "outcome");
  }

  /** The exit code {@code plasm run} would give for an ended job. */
  static int exitCode(JsonNode j) {
    ExecutionOutcome o = outcome(j);
    if (o != null) {
      return ExitCodes.of(o);
    }
    // Ended before it started.
    return j.get("state").asString().equals("cancelled") ? ExitCodes.CANCELLED : ExitCodes.INTERRUPTED;
  }

  /** One line describing how a job ended, or null for a normal exit. */
  static String describe(JsonNode j) {
    ExecutionOutcome o = outcome(j);
    if (o == null) {
      return "job " + j.get("id").asString() + " " + j.get("state").asString()
          + (j.has("reason") ? ": " + j.get("reason").asString() : "");
    }
    JsonNode n = j.get("outcome");
    if (o instanceof ExecutionOutcome.Completed) {
      return null;
    }
    return o.id() + (n.has("detail") ? " (" + n.get("detail").asString() + ")" : "")
        + (n.has("message") ? ": " + n.get("message").asString() : "");
  }
}
