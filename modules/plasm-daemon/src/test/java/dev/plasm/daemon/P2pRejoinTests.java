package dev.plasm.daemon;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.daemon.internal.log.Log;
import dev.plasm.daemon.internal.p2p.P2pNode;
import dev.plasm.host.Plugins;
import dev.plasm.identity.NodeIdentity;
import dev.plasm.transport.spi.ReachSettings;
import dev.plasm.transport.spi.TransportLimits;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** A node that loses every peer bootstraps again, so a restarted seed brings it back into the network. */
@Timeout(value = 90, unit = TimeUnit.SECONDS)
class P2pRejoinTests {

  private static void await(String what, BooleanSupplier ok) throws InterruptedException {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (!ok.getAsBoolean()) {
      if (System.nanoTime() > until) {
        throw new AssertionError("never: " + what);
      }
      Thread.sleep(50);
    }
  }

  @Test
  void aNodeWhoseSeedRestartsJoinsAgain() throws Exception {
    ByteArrayOutputStream logBytes = new ByteArrayOutputStream();
    Log log = new Log(new PrintStream(logBytes, true, StandardCharsets.UTF_8), "text");
    byte[] seedKey = new byte[32];
    new SecureRandom().nextBytes(seedKey);
    int port;
    try (ServerSocket s = new ServerSocket(0)) {
      port = s.getLocalPort();
    }
    P2pConfig seedConfig =
        new P2pConfig(
            true,
            "libp2p",
            List.of("/ip4/127.0.0.1/tcp/" + port),
            List.of(),
            TransportLimits.DEFAULTS,
            ReachSettings.DEFAULTS);
    P2pNode seed =
        P2pNode.start(seedConfig, Plugins.boot(), NodeIdentity.fromSeed(seedKey), "test", log);
    String seedAddr = "/ip4/127.0.0.1/tcp/" + port + "/p2p/" + seed.transport().peerId();
    P2pConfig config =
        new P2pConfig(
            true,
            "libp2p",
            List.of("/ip4/127.0.0.1/tcp/0"),
            List.of(seedAddr),
            TransportLimits.DEFAULTS,
            ReachSettings.DEFAULTS);
    try (P2pNode node =
        P2pNode.start(
            config,
            Plugins.boot(),
            NodeIdentity.ephemeral(),
            "test",
            log,
            Duration.ofMillis(200))) {
      await(
          "the node joins its seed",
          () -> logBytes.toString(StandardCharsets.UTF_8).contains("p2p bootstrap done"));
      assertFalse(node.transport().peers().isEmpty());
      seed.close();
      await("the node sees its seed gone", () -> node.transport().peers().isEmpty());
      // The seed comes back at the same address with the same identity.
      seed = P2pNode.start(seedConfig, Plugins.boot(), NodeIdentity.fromSeed(seedKey), "test", log);
      P2pNode restarted = seed;
      await(
          "the node bootstraps again",
          () -> {
            String t = logBytes.toString(StandardCharsets.UTF_8);
            return t.indexOf("p2p bootstrap done") < t.lastIndexOf("p2p bootstrap done");
          });
      assertFalse(node.transport().peers().isEmpty());
      await("the seed knows the node again", () -> !restarted.transport().peers().isEmpty());
      String text = logBytes.toString(StandardCharsets.UTF_8);
      assertTrue(text.contains("p2p node has lost every peer; bootstrapping again"), text);
    } finally {
      seed.close();
    }
  }
}
