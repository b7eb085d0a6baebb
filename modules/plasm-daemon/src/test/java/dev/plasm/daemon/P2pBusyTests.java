package dev.plasm.daemon;

import static dev.plasm.daemon.DaemonProcess.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** DHT operations through the API are bounded: beyond the limit a client gets 429, not a stuck node. */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class P2pBusyTests {
  @TempDir Path tmp;

  private static void signal(DaemonProcess d, String sig) throws Exception {
    new ProcessBuilder("kill", "-" + sig, Long.toString(d.process.pid()))
        .start()
        .waitFor(10, TimeUnit.SECONDS);
  }

  @Test
  void moreConcurrentDhtOperationsThanTheLimitGet429AndTheNodeStaysUsable() throws Exception {
    String p2p =
        "[p2p]\nenabled = true\nlisten = [\"/ip4/127.0.0.1/tcp/0\"]\nquery-timeout = \"5s\"\n";
    try (DaemonProcess a = DaemonProcess.start(tmp.resolve("a"), p2p)) {
      String aAddr = json(a.get("/v1/peers")).get("listenAddresses").get(0).asString();
      try (DaemonProcess b =
          DaemonProcess.start(tmp.resolve("b"), p2p + "bootstrap = [\"" + aAddr + "\"]\n")) {
        P2pDaemonTests.await(a, "/v1/peers", j -> j.get("peers").size() == 1);
        // Connected is not enough: B must be in A's routing table, so that A's lookups ask it.
        // An announcement that B accepted shows that.
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (json(a.post("/v1/dht/providers/" + P2pDaemonTests.enc("/plasm/ready"), ""))
                .get("peers")
                .asInt()
            < 1) {
          assertTrue(
              System.nanoTime() < until,
              "A never had B in its routing table\n" + a.log() + b.log());
          Thread.sleep(100);
        }
        // B stops answering (but its connection stays open): every lookup from A waits for it.
        signal(b, "STOP");
        try {
          List<CompletableFuture<HttpResponse<String>>> calls = new ArrayList<>();
          for (int i = 0; i < 24; i++) {
            String key = P2pDaemonTests.enc("/plasm/busy-" + i);
            calls.add(
                CompletableFuture.supplyAsync(
                    () -> {
                      try {
                        return a.get("/v1/dht/values/" + key);
                      } catch (Exception e) {
                        throw new IllegalStateException(e);
                      }
                    },
                    Thread::startVirtualThread));
          }
          int busy = 0;
          for (var f : calls) {
            HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
            if (r.statusCode() == 429) {
              busy++;
              assertEquals("p2p-busy", json(r).get("error").get("code").asString(), r.body());
              assertTrue(r.headers().firstValue("Retry-After").isPresent());
            }
          }
          assertTrue(busy >= 24 - 16, busy + " of 24 were refused; the limit is 16");
          // Local endpoints are not limited, and the node still serves.
          assertEquals(200, a.get("/v1/peers").statusCode());
          assertEquals(200, a.get("/v1/node").statusCode());
        } finally {
          signal(b, "CONT");
        }
      }
    }
  }
}
