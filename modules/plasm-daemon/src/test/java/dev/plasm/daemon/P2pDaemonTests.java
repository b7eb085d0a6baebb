package dev.plasm.daemon;

import static dev.plasm.daemon.DaemonProcess.json;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.transport.libp2p.Dht;
import dev.plasm.transport.libp2p.Host;
import dev.plasm.transport.libp2p.Multiaddr;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.function.Predicate;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Three real daemons with p2p on 127.0.0.1 (ephemeral ports): B and C bootstrap from A, and the
 * peers and DHT endpoints work across them; a fourth daemon has p2p off.
 */
@Timeout(value = 240, unit = TimeUnit.SECONDS)
class P2pDaemonTests {
  static final String P2P =
      "[p2p]\nenabled = true\nlisten = [\"/ip4/127.0.0.1/tcp/0\"]\nmax-value-size = \"2KiB\"\n";

  @TempDir static Path tmp;
  static DaemonProcess a;
  static DaemonProcess b;
  static DaemonProcess c;
  static String aAddr;
  static String aQuicAddr;

  @BeforeAll
  static void startNetwork() throws Exception {
    // A listens on TCP and QUIC; B joins it over TCP, C over QUIC (and listens on QUIC only).
    a =
        DaemonProcess.start(
            tmp.resolve("a"), P2P.replace("\"]", "\", \"/ip4/127.0.0.1/udp/0/quic-v1\"]"));
    JsonNode addrs = json(a.get("/v1/peers")).get("listenAddresses");
    aAddr = addrs.get(0).asString();
    aQuicAddr = addrs.get(1).asString();
    b = DaemonProcess.start(tmp.resolve("b"), P2P + "bootstrap = [\"" + aAddr + "\"]\n");
    c =
        DaemonProcess.start(
            tmp.resolve("c"),
            P2P.replace("tcp/0", "udp/0/quic-v1") + "bootstrap = [\"" + aQuicAddr + "\"]\n");
  }

  @AfterAll
  static void stop() throws Exception {
    for (DaemonProcess d : new DaemonProcess[] {a, b, c}) {
      if (d != null) {
        d.close();
      }
    }
  }

  static String peerId(DaemonProcess d) throws Exception {
    return json(d.get("/v1/node")).get("peerId").asString();
  }

  static String enc(String key) {
    return URLEncoder.encode(key, StandardCharsets.UTF_8);
  }

  /** Polls GET path on d until the JSON matches (at most 30 s). */
  static JsonNode await(DaemonProcess d, String path, Predicate<JsonNode> ok) throws Exception {
    long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (true) {
      HttpResponse<String> r = d.get(path);
      JsonNode j = r.statusCode() == 200 ? json(r) : null;
      if (j != null && ok.test(j)) {
        return j;
      }
      if (System.nanoTime() > until) {
        throw new AssertionError(
            path + " never matched; last: " + r.statusCode() + " " + r.body() + "\n" + d.log());
      }
      Thread.sleep(100);
    }
  }

  static boolean lists(JsonNode peers, String peerId) {
    for (JsonNode p : peers.get("peers")) {
      if (p.get("peerId").asString().equals(peerId)) {
        return true;
      }
    }
    return false;
  }

  HttpResponse<String> put(DaemonProcess d, String path, byte[] body) throws Exception {
    return d.http.send(
        d.request(path)
            .header("Content-Type", "application/octet-stream")
            .PUT(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  @Test
  void theDaemonsPeerIdIsItsNetworkPeerIdAndItLogsItsAddresses() throws Exception {
    JsonNode node = json(a.get("/v1/node"));
    JsonNode peers = json(a.get("/v1/peers"));
    assertEquals(node.get("peerId").asString(), peers.get("peerId").asString());
    assertTrue(
        aAddr.matches("/ip4/127\\.0\\.0\\.1/tcp/\\d+/p2p/" + node.get("peerId").asString()), aAddr);
    assertTrue(node.get("p2p").get("enabled").asBoolean());
    assertEquals(aAddr, node.get("p2p").get("listenAddresses").get(0).asString());
    assertTrue(
        aQuicAddr.matches(
            "/ip4/127\\.0\\.0\\.1/udp/\\d+/quic-v1/p2p/" + node.get("peerId").asString()),
        aQuicAddr);
    // AutoNAT's verdict (unknown until two peers answered; loopback peers may dial A back).
    JsonNode reach = peers.get("reachability");
    assertTrue(reach.get("status").asString().matches("unknown|public|private"), reach::toString);
    assertTrue(
        reach.get("relayAddresses").isArray() && reach.get("observedAddresses").isArray(),
        reach::toString);
    assertEquals(reach.get("status"), node.get("p2p").get("reachability").get("status"));
    assertTrue(a.log().contains("p2p node listening"), a::log);
    assertTrue(a.log().contains(node.get("peerId").asString()), a::log);
  }

  @Test
  void peersSeeEachOther() throws Exception {
    String ida = peerId(a);
    String idb = peerId(b);
    JsonNode onA = await(a, "/v1/peers", j -> lists(j, idb) && lists(j, peerId0(c)));
    JsonNode onB = await(b, "/v1/peers", j -> lists(j, ida));
    JsonNode bOnA = find(onA, idb);
    assertEquals("inbound", bOnA.get("direction").asString());
    JsonNode aOnB = find(onB, ida);
    assertEquals("outbound", aOnB.get("direction").asString());
    assertTrue(aOnB.get("agentVersion").asString().startsWith("plasm/"), aOnB::toString);
    assertTrue(
        aOnB.get("addresses")
            .get(0)
            .asString()
            .startsWith(aAddr.substring(0, aAddr.indexOf("/p2p/"))),
        aOnB::toString);
    assertTrue(aOnB.get("protocols").toString().contains("/plasm/kad/1.0.0"), aOnB::toString);
    assertFalse(aOnB.get("since").asString().isEmpty());
  }

  @Test
  void aDaemonJoinsOverQuic() throws Exception {
    String ida = peerId(a);
    JsonNode onC = await(c, "/v1/peers", j -> lists(j, ida));
    assertTrue(
        onC.get("listenAddresses").get(0).asString().contains("/quic-v1/p2p/"), onC::toString);
    // C knew only A's QUIC address, and A could not know C before C dialed it.
    assertTrue(find(onC, ida).get("addresses").toString().contains("/quic-v1"), onC::toString);
  }

  private static String peerId0(DaemonProcess d) {
    try {
      return peerId(d);
    } catch (Exception e) {
      throw new AssertionError(e);
    }
  }

  private static JsonNode find(JsonNode peers, String id) {
    for (JsonNode p : peers.get("peers")) {
      if (p.get("peerId").asString().equals(id)) {
        return p;
      }
    }
    throw new AssertionError(id + " not in " + peers);
  }

  @Test
  void aValuePutOnAIsReadOnB() throws Exception {
    await(b, "/v1/peers", j -> lists(j, peerId0(a)));
    String key = "/plasm/test/greeting-" + System.nanoTime();
    HttpResponse<String> put =
        put(a, "/v1/dht/values/" + enc(key), "hello, peers".getBytes(StandardCharsets.UTF_8));
    assertEquals(200, put.statusCode(), put.body());
    assertEquals(key, json(put).get("key").asString());
    assertEquals(12, json(put).get("bytes").asInt());
    JsonNode got = json(ok(b.get("/v1/dht/values/" + enc(key))));
    assertEquals(
        "hello, peers",
        new String(
            Base64.getDecoder().decode(got.get("valueBase64").asString()), StandardCharsets.UTF_8));
    assertEquals(key, got.get("key").asString());

    HttpResponse<String> missing = b.get("/v1/dht/values/" + enc("/plasm/test/nobody-put-this"));
    assertEquals(404, missing.statusCode(), missing.body());
    assertEquals("key", json(missing).get("error").get("field").asString());
  }

  @Test
  void aProviderAnnouncedOnBIsFoundFromAAndC() throws Exception {
    await(b, "/v1/peers", j -> lists(j, peerId0(a)));
    String idb = peerId(b);
    String key = "/plasm/module/" + "ab".repeat(32);
    HttpResponse<String> provide = b.post("/v1/dht/providers/" + enc(key), "");
    assertEquals(200, provide.statusCode(), provide.body());
    assertTrue(json(provide).get("peers").asInt() >= 1, provide::body);
    for (DaemonProcess d : List.of(a, c)) {
      JsonNode found = json(ok(d.get("/v1/dht/providers/" + enc(key) + "?max=5")));
      List<String> ids = new ArrayList<>();
      found.get("providers").forEach(p -> ids.add(p.get("peerId").asString()));
      assertTrue(ids.contains(idb), found::toString);
    }
  }

  @Test
  void findPeerGivesTheAddressesOfAPeerNotConnectedDirectly() throws Exception {
    String idc = peerId(c);
    await(a, "/v1/peers", j -> lists(j, idc));
    JsonNode cPeers = json(c.get("/v1/peers"));
    String cAddr = cPeers.get("listenAddresses").get(0).asString();
    JsonNode found = json(ok(b.get("/v1/dht/peers/" + idc)));
    assertEquals(idc, found.get("peerId").asString());
    List<String> addrs = new ArrayList<>();
    found.get("addresses").forEach(x -> addrs.add(x.asString()));
    assertTrue(addrs.contains(cAddr.substring(0, cAddr.indexOf("/p2p/"))), found + " vs " + cAddr);

    String unknown = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA";
    HttpResponse<String> r = b.get("/v1/dht/peers/" + unknown);
    assertEquals(404, r.statusCode(), r.body());
  }

  @Test
  void badKeysPeerIdsAndValuesAreRefusedNamingTheField() throws Exception {
    assertError(a.get("/v1/dht/values/" + enc("/ipns/x")), 400, "invalid-value", "key");
    assertError(a.get("/v1/dht/values/" + enc("/plasm/")), 400, "invalid-value", "key");
    assertError(
        a.get("/v1/dht/values/" + enc("/plasm/" + "x".repeat(600))), 400, "invalid-value", "key");
    assertError(a.get("/v1/dht/values/%2Fplasm%2F%ff"), 400, "invalid-value", "key");
    assertError(a.get("/v1/dht/values/%2Fplasm%2Fa%0Ab"), 400, "invalid-value", "key");
    assertError(
        a.post("/v1/dht/providers/" + enc("plasm/no-slash"), ""), 400, "invalid-value", "key");
    assertError(a.get("/v1/dht/peers/not-a-peer"), 400, "invalid-value", "peerId");
    assertError(
        a.get("/v1/dht/peers/12D3KooW0000000000000000000000000000000000000000"),
        400,
        "invalid-value",
        "peerId");
    assertError(
        put(a, "/v1/dht/values/" + enc("/plasm/big"), new byte[2049]),
        413,
        "payload-too-large",
        "value");
    assertError(
        a.get("/v1/dht/providers/" + enc("/plasm/x") + "?max=0"), 400, "invalid-value", "max");
    assertError(
        a.get("/v1/dht/providers/" + enc("/plasm/x") + "?limit=3"), 400, "unknown-field", "limit");
    HttpResponse<String> del =
        a.http.send(
            a.request("/v1/dht/values/" + enc("/plasm/x")).DELETE().build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(405, del.statusCode());
    HttpResponse<String> noToken =
        a.http.send(
            java.net.http.HttpRequest.newBuilder(java.net.URI.create(a.base + "/v1/peers")).build(),
            HttpResponse.BodyHandlers.ofString());
    assertEquals(401, noToken.statusCode());
    // The node still serves after all that.
    assertEquals(200, a.get("/v1/peers").statusCode());
  }

  /** A peer storing records outside /plasm/ is refused and logged once, in the daemon's own log format. */
  @Test
  void aMisbehavingPeerIsRefusedWithOneLineInTheDaemonLog() throws Exception {
    // Compiled against libp2p on the class path, run with it as a named module: read it.
    P2pDaemonTests.class
        .getModule()
        .addReads(ModuleLayer.boot().findModule("dev.plasm.transport.libp2p").orElseThrow());
    try (Host h = Host.builder().build();
        Dht dht =
            Dht.builder(h)
                .namespace("other")
                .bootstrapPeers(List.of(Multiaddr.parse(aAddr)))
                .build()) {
      assertTrue(dht.bootstrap() >= 1);
      dht.putValue("/other/x", "nope".getBytes(StandardCharsets.UTF_8));
      String who = h.peerId().toString();
      long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      List<String> lines;
      do {
        assertTrue(System.nanoTime() < until, "no refusal logged:\n" + a.log());
        Thread.sleep(50);
        lines = a.log().lines().filter(l -> l.contains("refused a request from " + who)).toList();
      } while (lines.isEmpty());
      String line = lines.getFirst();
      assertTrue(
          line.matches(
              "\\d{4}-\\d\\d-\\d\\dT\\S+ INFO kad: refused a request from .*outside the /plasm/ namespace.*"
                  + " logger=dev\\.plasm\\.transport\\.libp2p\\.kad"),
          line);
      // JUL's own two-line console format must not appear.
      assertFalse(a.log().contains("INFO: kad:"), a::log);
    }
    assertEquals(200, a.get("/v1/peers").statusCode());
  }

  @Test
  void withP2pOffTheEndpointsSaySoAndHowToEnableIt() throws Exception {
    try (DaemonProcess off = DaemonProcess.start(tmp.resolve("off"), "")) {
      assertFalse(json(off.get("/v1/node")).get("p2p").get("enabled").asBoolean());
      for (HttpResponse<String> r :
          List.of(
              off.get("/v1/peers"),
              off.get("/v1/dht/values/" + enc("/plasm/x")),
              off.post("/v1/dht/providers/" + enc("/plasm/x"), ""),
              off.get("/v1/dht/providers/" + enc("/plasm/x")),
              off.get("/v1/dht/peers/" + peerId(a)))) {
        assertError(r, 409, "p2p-disabled", null);
        assertTrue(
            json(r).get("error").get("message").asString().contains("enabled = true"), r::body);
      }
      assertFalse(off.log().contains("p2p node listening"), off::log);
    }
  }

  @Test
  void aP2pPortInUseStopsTheDaemonWithTheKeyNamed() throws Exception {
    String bind = aAddr.substring(0, aAddr.indexOf("/p2p/"));
    AssertionError e =
        assertThrows(
            AssertionError.class,
            () ->
                DaemonProcess.start(
                    tmp.resolve("clash"), "[p2p]\nenabled = true\nlisten = [\"" + bind + "\"]\n"));
    assertTrue(e.getMessage().contains("p2p.listen: cannot listen on " + bind), e.getMessage());
  }

  static HttpResponse<String> ok(HttpResponse<String> r) {
    assertEquals(200, r.statusCode(), r.body());
    return r;
  }

  static void assertError(HttpResponse<String> r, int status, String code, String field) {
    assertEquals(status, r.statusCode(), r.body());
    JsonNode e = json(r).get("error");
    assertEquals(code, e.get("code").asString(), r.body());
    if (field != null) {
      assertEquals(field, e.get("field").asString(), r.body());
    }
  }
}
