package dev.plasm.daemon;

import static dev.plasm.daemon.DaemonProcess.json;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Base64;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import tools.jackson.databind.JsonNode;

/** What the tests of jobs across peers share: configs, waiting for the network, reading jobs, peers and metrics. */
final class RemoteNet {
  static final String P2P = "[p2p]\nenabled = true\nlisten = [\"/ip4/127.0.0.1/tcp/0\"]\n";
  static final String EXECUTOR =
      "[remote]\nenabled = true\noffer-interval = \"1s\"\noffer-ttl = \"20s\"\n";

  private RemoteNet() {}

  /** A [p2p] section that joins the network through {@code seed}'s first address. */
  static String joining(DaemonProcess seed) throws Exception {
    return P2P + "bootstrap = [\"" + address(seed) + "\"]\n";
  }

  static String address(DaemonProcess d) throws Exception {
    return json(d.get("/v1/peers")).get("listenAddresses").get(0).asString();
  }

  static String peerId(DaemonProcess d) throws Exception {
    return json(d.get("/v1/node")).get("peerId").asString();
  }

  static byte[] hello() throws Exception {
    return Files.readAllBytes(DaemonConfigTests.repoRoot().resolve("examples/hello.wasm"));
  }

  /** A job of {@code module} with {@code args}, {@code placement} and more fields ({@code , "k": v}). */
  static String job(byte[] module, List<String> args, String placement, String more) {
    StringBuilder a = new StringBuilder();
    for (String s : args) {
      a.append(a.isEmpty() ? "" : ", ").append('"').append(s).append('"');
    }
    return "{\"moduleBase64\": \""
        + Base64.getEncoder().encodeToString(module)
        + "\", \"args\": ["
        + a
        + "], \"placement\": \""
        + placement
        + "\""
        + more
        + "}";
  }

  /** Waits until {@code requester} finds every one of {@code ids} among the providers of /plasm/executor. */
  static void awaitExecutors(DaemonProcess requester, Collection<String> ids) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (true) {
      JsonNode p =
          json(
              requester.get(
                  "/v1/dht/providers/"
                      + URLEncoder.encode("/plasm/executor", StandardCharsets.UTF_8)
                      + "?max=20"));
      Set<String> found = new HashSet<>();
      p.get("providers").forEach(x -> found.add(x.get("peerId").asString()));
      if (found.containsAll(ids)) {
        return;
      }
      if (System.nanoTime() > until) {
        throw new AssertionError(
            "the requester never found the executors " + ids + "; providers: " + p);
      }
      Thread.sleep(250);
    }
  }

  /** Waits until the job's attempt on {@code peer} has been accepted there; returns the executor's job id. */
  static String awaitAccepted(DaemonProcess requester, String jobId, int seconds) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (true) {
      JsonNode j = json(requester.get("/v1/jobs/" + jobId));
      for (JsonNode a : j.path("attempts")) {
        if (a.path("result").asString("").equals("running") && a.has("executorJobId")) {
          return a.get("peerId").asString() + " " + a.get("executorJobId").asString();
        }
      }
      if (System.nanoTime() > until) {
        throw new AssertionError("job " + jobId + " was never accepted by an executor: " + j);
      }
      Thread.sleep(50);
    }
  }

  /** The value of a counter (a name with its labels, e.g. {@code plasm_remote_attempts_total{result="ok"}}), 0 if absent. */
  static long metric(DaemonProcess x, String name) throws Exception {
    for (String line : x.get("/metrics").body().split("\n")) {
      if (line.startsWith(name + " ")) {
        return Long.parseLong(line.substring(name.length() + 1).strip());
      }
    }
    return 0;
  }

  /** This node's entry for {@code peer} in {@code GET /v1/peers}, or null when it is not connected. */
  static JsonNode peer(DaemonProcess x, String peer) throws Exception {
    for (JsonNode p : json(x.get("/v1/peers")).get("peers")) {
      if (p.get("peerId").asString().equals(peer)) {
        return p;
      }
    }
    return null;
  }

  /** {@code peer}'s reputation as {@code x} keeps it on disk ({@code STATE/peers.json}). */
  static JsonNode reputationOnDisk(DaemonProcess x, String peer) throws Exception {
    Path file = x.state.resolve("peers.json");
    JsonNode all =
        Files.exists(file)
            ? DaemonProcess.JSON.readTree(Files.readAllBytes(file))
            : DaemonProcess.JSON.createObjectNode();
    return all.path("peers").path(peer);
  }

  /** The jobs {@code executor} holds for {@code requester}'s job {@code jobId}. */
  static List<JsonNode> jobsFor(DaemonProcess executor, String requester, String jobId)
      throws Exception {
    List<JsonNode> out = new java.util.ArrayList<>();
    for (JsonNode s : json(executor.get("/v1/jobs?limit=1000")).get("jobs")) {
      JsonNode j = json(executor.get("/v1/jobs/" + s.get("id").asString()));
      if (j.path("requester").path("peerId").asString("").equals(requester)
          && j.path("requester").path("jobId").asString("").equals(jobId)) {
        out.add(j);
      }
    }
    return out;
  }
}
