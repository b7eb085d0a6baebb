package dev.plasm.cli;

import dev.plasm.api.ConfigurationException;
import dev.plasm.daemon.DaemonConfig;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.function.LongConsumer;
import picocli.CommandLine.Model.CommandSpec;
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

  /** The options every client command has: added to its model by {@link #addTo}, read by {@link #of}. */
  static final class Options {
    String address;
    Path tokenFile;
    Path config;
    boolean json;
    boolean quiet;

    /** Adds the options to a command's model (in code, like the commands: see {@link Specs}). */
    static void addTo(CommandSpec spec) {
      spec.addOption(
          Specs.option(
              "HOST:PORT",
              String.class,
              "The daemon's address. Default: $PLASM_DAEMON, else the address in $PLASM_HOME/daemon.json (written by a running daemon), else 127.0.0.1:8080.",
              "--daemon"));
      spec.addOption(
          Specs.option(
              "FILE",
              Path.class,
              "The file holding the daemon's API token. Default: $PLASM_TOKEN, else the file 'token' in the daemon's state directory.",
              "--token-file"));
      spec.addOption(
          Specs.option(
              "FILE",
              Path.class,
              "The daemon's config file: its api.listen and state-dir say where the daemon and its token are.",
              "--config"));
      spec.addOption(
          Specs.flag(
              "Print the daemon's answer as one JSON document (its fields: docs/http-api.md).",
              "--json"));
      spec.addOption(
          Specs.flag(
              "Print only what a script needs (ids, one per line), with no headers, status line or summary.",
              "-q",
              "--quiet"));
    }

    /** The options as parsed for a command whose model has them. */
    static Options of(CommandSpec spec) {
      Options o = new Options();
      o.address = Specs.value(spec, "--daemon");
      o.tokenFile = Specs.value(spec, "--token-file");
      o.config = Specs.value(spec, "--config");
      o.json = Specs.isSet(spec, "--json");
      o.quiet = Specs.isSet(spec, "--quiet");
      return o;
    }
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

  /** How long a request may wait for the daemon's answer unless it says otherwise. */
  static final Duration TIMEOUT = Duration.ofMinutes(6);

  private final String base;
  private final DaemonHttp http;
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
    try {
      this.http = new DaemonHttp(base);
    } catch (IllegalArgumentException e) {
      throw new Failure(ExitCodes.USAGE, "the daemon's address '" + addr + "' is not HOST:PORT");
    }
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

  /** A request to the daemon, sent by {@link Request#send}. */
  Request request(String path) {
    return new Request(path);
  }

  /** One request: GET unless given a body; the daemon's token goes with it. */
  final class Request {
    private final String path;
    private String method = "GET";
    private String contentType;
    private byte[] body;
    private Duration timeout = TIMEOUT;
    private LongConsumer sent;

    private Request(String path) {
      this.path = path;
    }

    /** The longest wait for the daemon's answer. */
    Request timeout(Duration d) {
      this.timeout = d;
      return this;
    }

    Request post(String type, byte[] bytes) {
      return body("POST", type, bytes);
    }

    Request put(String type, byte[] bytes) {
      return body("PUT", type, bytes);
    }

    /** Told how many bytes of the body were handed to the connection, as they are. */
    Request progress(LongConsumer bytesSent) {
      this.sent = bytesSent;
      return this;
    }

    private Request body(String m, String type, byte[] bytes) {
      this.method = m;
      this.contentType = type;
      this.body = bytes;
      return this;
    }

    /** Sends it; a non-2xx answer becomes a {@link Failure} with the API's message. */
    byte[] send() {
      return exchange(this).body();
    }
  }

  JsonNode getJson(String path) {
    return JSON.readTree(request(path).send());
  }

  byte[] getBytes(String path) {
    return request(path).send();
  }

  /** A piece of a job's output and where the next piece starts. */
  record Chunk(byte[] bytes, long nextOffset, boolean complete) {}

  /** The output {@code stream} (stdout or stderr) of a job from {@code offset} on. */
  Chunk output(String id, String stream, long offset) {
    DaemonHttp.Response r =
        exchange(request("/v1/jobs/" + id + "/" + stream + "?offset=" + offset));
    String nextHeader = r.header("X-Plasm-Next-Offset");
    long next = offset + r.body().length;
    if (nextHeader != null) {
      try {
        next = Long.parseLong(nextHeader);
      } catch (NumberFormatException e) {
        throw new Failure(
            UNAVAILABLE,
            "the daemon at " + base + " sent a bad X-Plasm-Next-Offset: " + nextHeader);
      }
    }
    boolean complete = Boolean.parseBoolean(r.header("X-Plasm-Output-Complete"));
    return new Chunk(r.body(), next, complete);
  }

  JsonNode postJson(String path, String json) {
    return JSON.readTree(
        request(path).post("application/json", json.getBytes(StandardCharsets.UTF_8)).send());
  }

  JsonNode postBytes(String path, byte[] body) {
    return JSON.readTree(request(path).post("application/wasm", body).send());
  }

  private DaemonHttp.Response exchange(Request req) {
    DaemonHttp.Response r;
    try {
      r =
          http.exchange(
              req.method, req.path, token, req.contentType, req.body, req.timeout, req.sent);
    } catch (IllegalArgumentException e) {
      throw new Failure(ExitCodes.USAGE, e.getMessage());
    } catch (ConnectException e) {
      throw new Failure(UNAVAILABLE, "no daemon at " + base);
    } catch (SocketTimeoutException e) {
      throw new Failure(
          UNAVAILABLE,
          "the daemon at "
              + base
              + " did not answer within "
              + dev.plasm.cli.term.Units.time(req.timeout));
    } catch (UnknownHostException e) {
      throw new Failure(UNAVAILABLE, "cannot talk to the daemon at " + base + ": unknown host");
    } catch (IOException e) {
      if (Thread.currentThread().isInterrupted()) {
        throw new Failure(UNAVAILABLE, "interrupted");
      }
      throw new Failure(UNAVAILABLE, "cannot talk to the daemon at " + base + ": " + e);
    }
    int s = r.status();
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
    int code =
        switch (s) {
          case 401, 403, 421 -> NO_PERMISSION;
          case 404 -> ExitCodes.NO_INPUT;
          case 429, 503 -> TRY_LATER;
          case 400, 409, 413 -> ExitCodes.USAGE;
          default -> UNAVAILABLE;
        };
    throw new Failure(code, message + " (HTTP " + s + ")", apiCode);
  }

  /** A job the daemon describes at {@code path} ({@code /v1/jobs/ID}, {@code .../wait}, ...). */
  DaemonJob job(String path) {
    return job(getJson(path));
  }

  /**
   * Reads a job's JSON as the daemon sent it, once: a state or outcome this plasm does not know (a
   * newer daemon's) is a {@link Failure} naming it.
   */
  DaemonJob job(JsonNode j) {
    try {
      return DaemonJob.of(j);
    } catch (ConfigurationException e) {
      String m = e.getMessage();
      throw new Failure(
          UNAVAILABLE,
          "the daemon at "
              + base
              + " sent a job this plasm cannot read: "
              + (m.startsWith(e.field()) ? m : e.field() + ": " + m)
              + " (is the daemon newer than this plasm?)");
    }
  }

  /** Long-polls until the job ends. */
  DaemonJob await(String id) {
    while (true) {
      DaemonJob j = job("/v1/jobs/" + id + "/wait?timeout=60s");
      if (j.terminal()) {
        return j;
      }
    }
  }
}
