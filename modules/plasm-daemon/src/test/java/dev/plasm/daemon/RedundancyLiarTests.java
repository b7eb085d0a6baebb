package dev.plasm.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.daemon.FaultyPeer.Lie;
import dev.plasm.host.ReceiptSchemes;
import dev.plasm.host.ReceiptVerifier;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * {@code redundancy: 3} with one liar among two honest executors: the liar signs a made-up output
 * consistently, so every check on its own answer passes; only the other nodes' answers outvote it.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class RedundancyLiarTests {
  @TempDir Path tmp;

  @Test
  void theMajorityAnswerIsAcceptedAndTheLiarIsNamedAndLosesReputation() throws Exception {
    try (DaemonProcess r =
            DaemonProcess.start(tmp.resolve("r"), RemoteNet.P2P + "[remote]\nenabled = false\n");
        DaemonProcess h1 =
            DaemonProcess.start(tmp.resolve("h1"), RemoteNet.joining(r) + RemoteNet.EXECUTOR);
        DaemonProcess h2 =
            DaemonProcess.start(tmp.resolve("h2"), RemoteNet.joining(r) + RemoteNet.EXECUTOR);
        FaultyPeer liar = FaultyPeer.start(RemoteNet.address(r), Lie.CONSISTENT)) {
      liar.offer(1000, Duration.ofMinutes(10));
      String h1Id = RemoteNet.peerId(h1);
      String h2Id = RemoteNet.peerId(h2);
      RemoteNet.awaitExecutors(r, List.of(h1Id, h2Id, liar.peerId()));
      byte[] hello = RemoteNet.hello();

      String id =
          r.submit(
              RemoteNet.job(
                  hello,
                  List.of("vote"),
                  "remote",
                  ", \"redundancy\": 3, \"deterministic\": true"));
      JsonNode j = r.await(id, 240);
      assertEquals("finished", j.get("state").asString(), j::toString);
      assertEquals("completed", j.get("outcome").get("kind").asString(), j::toString);
      Set<String> by = new HashSet<>();
      j.get("executedBy").forEach(x -> by.add(x.asString()));
      assertEquals(Set.of(h1Id, h2Id), by, j::toString);
      byte[] out = r.getBytes("/v1/jobs/" + id + "/stdout").body();
      assertEquals(
          "Hello from WebAssembly!\narg 1: vote\n",
          new String(out, StandardCharsets.UTF_8),
          "the majority's output");

      // The liar is named in the reason and in its attempt, which is not counted as a success.
      String reason = j.get("reason").asString();
      assertTrue(reason.contains(liar.peerId()) && reason.contains("disagreed"), reason);
      assertEquals(3, j.get("attempts").size(), j::toString);
      for (JsonNode a : j.get("attempts")) {
        String peer = a.get("peerId").asString();
        if (peer.equals(liar.peerId())) {
          assertEquals("disagreed", a.get("result").asString(), a::toString);
          assertTrue(a.get("detail").asString().startsWith("outvoted: "), a::toString);
        } else {
          assertEquals("ok", a.get("result").asString(), a::toString);
        }
      }
      assertEquals(1, liar.taken.size(), "the liar was sent its copy once");

      // Its reputation falls; the honest nodes' rises.
      JsonNode rep = RemoteNet.peer(r, liar.peerId()).get("reputation");
      assertEquals(1, rep.get("lies").asLong(), rep::toString);
      assertEquals(1, RemoteNet.reputationOnDisk(r, liar.peerId()).get("lies").asLong());
      for (String honest : List.of(h1Id, h2Id)) {
        JsonNode hr = RemoteNet.peer(r, honest).get("reputation");
        assertEquals(1, hr.get("successes").asLong(), hr::toString);
        assertEquals(0, hr.get("lies").asLong(), hr::toString);
        assertTrue(hr.get("score").asDouble() > rep.get("score").asDouble());
      }
      assertEquals(
          1, RemoteNet.metric(r, "plasm_remote_results_rejected_total{check=\"disagreement\"}"));

      // The receipt kept is an honest executor's, for the output kept.
      ReceiptVerifier.Report report =
          new ReceiptVerifier(ReceiptSchemes.discover())
              .verify(
                  r.getBytes("/v1/jobs/" + id + "/receipt").body(),
                  new ReceiptVerifier.Request(hello, out, null, List.of(h1Id, h2Id), null, null));
      assertTrue(report.passed(), report::toString);
    }
  }
}
