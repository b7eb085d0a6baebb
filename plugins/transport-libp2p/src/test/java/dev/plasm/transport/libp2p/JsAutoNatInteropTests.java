package dev.plasm.transport.libp2p;

import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.transport.libp2p.testing.NetLab;
import dev.plasm.transport.libp2p.testing.PeerProcess;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * AutoNAT v1 with js-libp2p's @libp2p/autonat 3.0.28 asking a Plasm node, with real dial-backs, in
 * network namespaces on the test's internet switch (11.0.0.0/8): js asks only about public
 * addresses. (js's answers to Plasm are checked on loopback in AutoNatTests; see docs/libp2p.md
 * for why its v1 server cannot dial back a peer connected to it directly.)
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS)
class JsAutoNatInteropTests {
  private final List<AutoCloseable> toClose = new ArrayList<>();

  @AfterEach
  void cleanUp() throws Exception {
    for (AutoCloseable c : toClose.reversed()) {
      c.close();
    }
  }

  private PeerProcess track(PeerProcess p) {
    toClose.add(p);
    return p;
  }

  @Test
  void jsAsksAPlasmNodeAndIsDialedBack() throws Exception {
    NetLab lab = NetLab.create();
    toClose.add(lab);
    lab.internetHost("plasm", "11.0.0.10");
    lab.internetHost("js1", "11.1.0.10");
    lab.internetHost("js2", "11.3.0.10");
    PeerProcess plasm =
        track(PeerProcess.startJava(lab.exec("plasm"), "--listen", "/ip4/11.0.0.10/tcp/4001"));
    PeerProcess js1 = track(PeerProcess.startIn(lab.exec("js1"), "--autonat", "--ip", "11.1.0.10"));
    PeerProcess js2 = track(PeerProcess.startIn(lab.exec("js2"), "--autonat", "--ip", "11.3.0.10"));

    // js asks, Plasm dials back: both js nodes check their address with the Plasm node (a peer in
    // another /16) and get a real dial-back (a fresh connection under a throw-away identity).
    String plasmAddr = "/ip4/11.0.0.10/tcp/4001/p2p/" + plasm.peerId();
    js1.call("dial", "addr", plasmAddr);
    js2.call("dial", "addr", plasmAddr);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    Map<String, Object> served;
    do {
      Thread.sleep(500);
      served = plasm.call("autonat");
    } while ((Double) served.get("dialedBack") < 2 && System.nanoTime() < deadline);
    assertTrue(
        (Double) served.get("dialedBack") >= 2,
        "the Plasm node dialed both js nodes back: " + served);
  }
}
