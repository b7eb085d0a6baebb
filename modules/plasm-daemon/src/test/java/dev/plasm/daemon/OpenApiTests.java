package dev.plasm.daemon;

import static dev.plasm.daemon.DaemonProcess.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/** docs/openapi.yaml against a live daemon and the server's source: every route, the job shape, the error codes. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class OpenApiTests {
  /** Every route the server answers. */
  static final Set<String> ROUTES =
      Set.of(
          "GET /healthz",
          "GET /metrics",
          "GET /v1/node",
          "POST /v1/modules",
          "GET /v1/modules/{sha256}",
          "HEAD /v1/modules/{sha256}",
          "POST /v1/jobs",
          "GET /v1/jobs",
          "GET /v1/jobs/{id}",
          "GET /v1/jobs/{id}/wait",
          "GET /v1/jobs/{id}/stdout",
          "GET /v1/jobs/{id}/stderr",
          "GET /v1/jobs/{id}/receipt",
          "POST /v1/jobs/{id}/cancel",
          // [p2p]: this daemon has p2p off, so these answer 409 p2p-disabled (P2pDaemonTests covers
          // them on).
          "GET /v1/peers",
          "GET /v1/dht/values/{key}",
          "PUT /v1/dht/values/{key}",
          "POST /v1/dht/providers/{key}",
          "GET /v1/dht/providers/{key}",
          "GET /v1/dht/peers/{peerId}");

  @TempDir static Path tmp;
  static DaemonProcess d;
  static Map<String, Object> spec;

  @BeforeAll
  static void start() throws Exception {
    spec = yaml(Files.readString(DaemonConfigTests.repoRoot().resolve("docs/openapi.yaml")));
    d = DaemonProcess.start(tmp.resolve("state"), "");
  }

  @AfterAll
  static void stop() throws Exception {
    if (d != null) {
      d.close();
    }
  }

  @Test
  void everyDocumentedRouteExistsAndEveryRouteIsDocumented() throws Exception {
    Set<String> documented = new TreeSet<>();
    for (var path : map(spec, "paths").entrySet()) {
      for (String method : map(spec, "paths", path.getKey()).keySet()) {
        if (Set.of("get", "post", "head", "put", "delete", "patch").contains(method)) {
          documented.add(method.toUpperCase() + " " + path.getKey());
        }
      }
    }
    assertEquals(new TreeSet<>(ROUTES), documented);

    byte[] hello = Files.readAllBytes(DaemonConfigTests.repoRoot().resolve("examples/hello.wasm"));
    String sha = HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(hello));
    d.postBytes("/v1/modules", hello);
    String id = d.submit("{\"module\": \"" + sha + "\"}");
    d.await(id, 60);
    String peerId = json(d.get("/v1/node")).get("peerId").asString();
    for (String route : ROUTES) {
      String method = route.substring(0, route.indexOf(' '));
      String path =
          route
              .substring(route.indexOf(' ') + 1)
              .replace("{sha256}", sha)
              .replace("{id}", id)
              .replace("{key}", "%2Fplasm%2Fopenapi")
              .replace("{peerId}", peerId);
      HttpRequest.BodyPublisher body =
          path.equals("/v1/modules")
              ? HttpRequest.BodyPublishers.ofByteArray(hello)
              : path.equals("/v1/jobs")
                  ? HttpRequest.BodyPublishers.ofString("{\"module\": \"" + sha + "\"}")
                  : HttpRequest.BodyPublishers.noBody();
      HttpRequest.Builder rb = d.request(path).method(method, body);
      if (path.equals("/v1/modules")) {
        rb.header("Content-Type", "application/wasm");
      } else if (path.equals("/v1/jobs") && method.equals("POST")) {
        rb.header("Content-Type", "application/json");
      }
      HttpResponse<String> r = d.http.send(rb.build(), HttpResponse.BodyHandlers.ofString());
      assertNotEquals(405, r.statusCode(), route);
      assertFalse(r.statusCode() == 404, route + ": " + r.body());
      String status = Integer.toString(r.statusCode());
      assertTrue(
          map(
                  spec,
                  "paths",
                  route.substring(route.indexOf(' ') + 1),
                  method.toLowerCase(),
                  "responses")
              .containsKey(status),
          route + " answered " + status + ", which docs/openapi.yaml does not list");
    }
  }

  @Test
  void aLiveJobHasExactlyTheDocumentedFields() throws Exception {
    byte[] hello = Files.readAllBytes(DaemonConfigTests.repoRoot().resolve("examples/hello.wasm"));
    String sha = json(d.postBytes("/v1/modules", hello)).get("sha256").asString();
    JsonNode job =
        d.await(
            d.submit(
                "{\"module\": \"" + sha + "\", \"nonce\": \"x\", \"idempotencyKey\": \"oa-1\"}"),
            60);
    Map<String, Object> schema = map(spec, "components", "schemas", "Job");
    Set<String> documented = map(schema, "properties").keySet();
    for (Iterator<String> it = job.propertyNames().iterator(); it.hasNext(); ) {
      String f = it.next();
      assertTrue(documented.contains(f), "Job field " + f + " is not in docs/openapi.yaml");
    }
    for (String req : list((String) schema.get("required"))) {
      assertTrue(job.has(req), "required " + req + " missing from " + job);
    }
    JsonNode node = json(d.get("/v1/node"));
    for (String req : list((String) map(spec, "components", "schemas", "Node").get("required"))) {
      assertTrue(node.has(req), req);
    }
  }

  @Test
  void theLimitsSchemaNamesEveryLimit() {
    // One list of limits (dev.plasm.api.Limit): a limit added there must be documented here too.
    Set<String> documented =
        new java.util.TreeSet<>(
            map(spec, "components", "schemas", "Limits", "properties").keySet());
    Set<String> limits = new java.util.TreeSet<>();
    for (dev.plasm.api.Limit l : dev.plasm.api.Limit.values()) {
      limits.add(l.jsonName());
    }
    limits.add("cpus");
    assertEquals(limits, documented);
  }

  @Test
  void theStateSchemaNamesEveryJobStateInOrder() throws Exception {
    // One list of states (dev.plasm.api.JobState): a state added there must be documented here too.
    java.util.List<String> states = new java.util.ArrayList<>();
    for (dev.plasm.api.JobState s : dev.plasm.api.JobState.values()) {
      states.add(s.id());
    }
    assertEquals(states, list((String) map(spec, "components", "schemas", "State").get("enum")));
    // And the job table of docs/http-api.md, its `state` row.
    String row =
        Files.readString(DaemonConfigTests.repoRoot().resolve("docs/http-api.md"))
            .lines()
            .filter(l -> l.startsWith("| `state` |"))
            .findFirst()
            .orElseThrow(() -> new AssertionError("docs/http-api.md has no `state` row"));
    java.util.List<String> named = new java.util.ArrayList<>();
    Matcher m = Pattern.compile("`([a-z-]+)`").matcher(row.substring("| `state` |".length()));
    while (m.find()) {
      named.add(m.group(1));
    }
    assertEquals(states, named, row);
  }

  @Test
  void theErrorCodesAreExactlyThoseTheServerUses() throws Exception {
    // Every error code the API and the HTTP server can answer, from their sources (calls may wrap).
    StringBuilder src = new StringBuilder();
    for (String pkg : java.util.List.of("http", "httpd")) {
      try (var files =
          Files.list(
              DaemonConfigTests.repoRoot()
                  .resolve(
                      "modules/plasm-daemon/src/main/java/dev/plasm/daemon/internal/" + pkg))) {
        for (Path f : files.toList()) {
          src.append(Files.readString(f));
        }
      }
    }
    Set<String> used = new TreeSet<>();
    Matcher m =
        Pattern.compile(
                "(?:new (?:ApiException|HttpError)\\(\\s*\\d+,\\s*|badRequest\\(\\s*|errorBody\\(\\s*\\d+,\\s*)\"([a-z0-9-]+)\"")
            .matcher(src);
    while (m.find()) {
      used.add(m.group(1));
    }
    // Manifest problems are the job model's codes (dev.plasm.job), answered as they are.
    for (dev.plasm.job.ManifestException.Problem p :
        dev.plasm.job.ManifestException.Problem.values()) {
      used.add(p.code());
    }
    assertTrue(used.size() > 10, used::toString);
    String enumLine =
        (String)
            map(spec, "components", "schemas", "Error", "properties", "error", "properties", "code")
                .get("enum");
    assertEquals(used, new TreeSet<>(list(enumLine)));
  }

  static java.util.List<String> list(String inline) {
    String s = inline.strip();
    assertTrue(s.startsWith("[") && s.endsWith("]"), s);
    return java.util.Arrays.stream(s.substring(1, s.length() - 1).split(","))
        .map(String::strip)
        .toList();
  }

  @SuppressWarnings("unchecked")
  static Map<String, Object> map(Map<String, Object> root, String... keys) {
    Object o = root;
    for (String k : keys) {
      o = ((Map<String, Object>) o).get(k);
      if (!(o instanceof Map)) {
        throw new AssertionError(
            "docs/openapi.yaml has no map at "
                + String.join(".", keys)
                + " (stopped at "
                + k
                + ")");
      }
    }
    return (Map<String, Object>) o;
  }

  /**
   * The subset of YAML the file uses: nested maps by indentation, scalar and inline values (kept as
   * text). List items ("- ...") are skipped with their children.
   */
  static Map<String, Object> yaml(String text) {
    Map<String, Object> root = new LinkedHashMap<>();
    Deque<Map.Entry<Integer, Map<String, Object>>> stack = new ArrayDeque<>();
    stack.push(Map.entry(-1, root));
    Pattern line = Pattern.compile("^( *)(\"[^\"]+\"|[^ #\"-][^:]*):(?: (.*))?$");
    int skipDeeperThan = Integer.MAX_VALUE;
    for (String l : text.split("\n")) {
      if (l.isBlank() || l.strip().startsWith("#")) {
        continue;
      }
      int indent = l.length() - l.stripLeading().length();
      if (indent > skipDeeperThan) {
        continue;
      }
      skipDeeperThan = Integer.MAX_VALUE;
      if (l.stripLeading().startsWith("- ")) {
        skipDeeperThan = indent;
        continue;
      }
      Matcher m = line.matcher(l);
      if (!m.matches()) {
        continue; // continuation of a folded scalar
      }
      while (stack.peek().getKey() >= indent) {
        stack.pop();
      }
      String key = m.group(2).replace("\"", "");
      String value = m.group(3);
      if (value == null || value.isBlank() || value.strip().equals(">")) {
        Map<String, Object> child = new LinkedHashMap<>();
        stack.peek().getValue().put(key, child);
        stack.push(Map.entry(indent, child));
      } else {
        stack.peek().getValue().put(key, value.strip());
      }
    }
    return root;
  }
}
