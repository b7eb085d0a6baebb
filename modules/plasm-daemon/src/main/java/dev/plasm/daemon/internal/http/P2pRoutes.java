package dev.plasm.daemon.internal.http;

import dev.plasm.daemon.internal.p2p.P2pNode;
import dev.plasm.daemon.internal.remote.RemoteNode;
import dev.plasm.daemon.internal.store.Json;
import dev.plasm.transport.spi.ConnectedPeer;
import dev.plasm.transport.spi.DhtKey;
import dev.plasm.transport.spi.InvalidInputException;
import dev.plasm.transport.spi.PeerAddresses;
import dev.plasm.transport.spi.Reachability;
import dev.plasm.transport.spi.Transport;
import dev.plasm.transport.spi.TransportException;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The peer-to-peer endpoints (docs/http-api.md, "Peers and the DHT"): {@code GET /v1/peers} and
 * {@code /v1/dht/...}. A DHT key travels percent-encoded as one path segment ({@code
 * /v1/dht/values/%2Fplasm%2Fjob%2F42}); with p2p off every endpoint answers 409 {@code p2p-disabled}.
 */
final class P2pRoutes {
  private static final Pattern VALUES = Pattern.compile("/v1/dht/values/([^/]+)");
  private static final Pattern PROVIDERS = Pattern.compile("/v1/dht/providers/([^/]+)");
  private static final Pattern PEERS = Pattern.compile("/v1/dht/peers/([^/]+)");

  /** Base58btc peer ids ({@code 12D3KooW...}, {@code Qm...}) and CIDv1 ones ({@code bafz...}), by shape. */
  private static final Pattern PEER_ID =
      Pattern.compile("[1-9A-HJ-NP-Za-km-z]{32,128}|b[a-z2-7]{32,128}");

  private static final int MAX_PROVIDERS = 100;

  private volatile P2pNode node;
  private volatile RemoteNode remote;

  void node(P2pNode node) {
    this.node = node;
  }

  void remote(RemoteNode r) {
    this.remote = r;
  }

  /** Serves {@code path} if it is a p2p endpoint; returns false for any other path. */
  boolean handle(Exchange ex) throws IOException {
    String path = ex.path();
    String method = ex.method();
    if (path.equals("/v1/peers")) {
      ex.allow("GET");
      ex.onlyParams(Set.of());
      peers(ex, transport());
      return true;
    }
    Matcher m = VALUES.matcher(path);
    if (m.matches()) {
      ex.allow("GET", "PUT");
      DhtKey key = key(m.group(1));
      ex.onlyParams(Set.of());
      if (method.equals("PUT")) {
        putValue(ex, key);
      } else {
        getValue(ex, key);
      }
      return true;
    }
    m = PROVIDERS.matcher(path);
    if (m.matches()) {
      ex.allow("GET", "POST");
      DhtKey key = key(m.group(1));
      if (method.equals("POST")) {
        ex.onlyParams(Set.of());
        Transport t = transport();
        int peers = network(() -> t.provide(key));
        ex.json(200, Json.MAPPER.createObjectNode().put("key", key.text()).put("peers", peers));
      } else {
        findProviders(ex, key);
      }
      return true;
    }
    m = PEERS.matcher(path);
    if (m.matches()) {
      ex.allow("GET");
      ex.onlyParams(Set.of());
      String peerId = decode(m.group(1), "peerId");
      if (!PEER_ID.matcher(peerId).matches()) {
        throw ApiException.invalid(
            "peerId", "'" + shorten(peerId) + "' is not a peer id (base58btc, e.g. 12D3KooW...)");
      }
      Transport t = transport();
      Optional<PeerAddresses> found = network(() -> t.findPeer(peerId));
      if (found.isEmpty()) {
        throw ApiException.notFound("peerId", "peer " + peerId + " was not found in the DHT");
      }
      ObjectNode o = Json.MAPPER.createObjectNode().put("peerId", found.get().peerId());
      found.get().addresses().forEach(o.putArray("addresses")::add);
      ex.json(200, o);
      return true;
    }
    return false;
  }

  /** What {@code GET /v1/node} says about p2p. */
  ObjectNode summary() {
    ObjectNode o = Json.MAPPER.createObjectNode();
    P2pNode n = node;
    o.put("enabled", n != null);
    if (n != null) {
      o.put("transport", n.config().transport());
      try {
        n.transport().listenAddresses().forEach(o.putArray("listenAddresses")::add);
        o.set("reachability", reachability(n.transport().reachability()));
      } catch (TransportException e) {
        // Closing: the node shows as enabled without addresses.
      }
    }
    RemoteNode r = remote;
    ObjectNode rem = o.putObject("remote");
    if (r != null) {
      r.summary().forEach((k, v) -> rem.set(k, Json.MAPPER.valueToTree(v)));
    } else {
      rem.put("enabled", false);
    }
    return o;
  }

  /**
   * Whether peers can dial this node (AutoNAT), the addresses they dialed back, what they see of
   * us, and our relayed addresses while we hold relay reservations.
   */
  private static ObjectNode reachability(Reachability r) {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("status", r.status().name().toLowerCase(Locale.ROOT));
    r.reachableAddresses().forEach(o.putArray("reachableAddresses")::add);
    r.observedAddresses().forEach(o.putArray("observedAddresses")::add);
    r.relayAddresses().forEach(o.putArray("relayAddresses")::add);
    r.checkedAt().ifPresent(at -> o.put("checkedAt", at.toString()));
    return o;
  }

  private Transport transport() {
    P2pNode n = node;
    if (n == null) {
      throw new ApiException(
          409,
          "p2p-disabled",
          null,
          "p2p is off on this node; set 'enabled = true' under [p2p] in the daemon's config (docs/config.md) and restart it");
    }
    return n.transport();
  }

  private void peers(Exchange ex, Transport t) throws IOException {
    List<ConnectedPeer> peers = call(t::peers);
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("peerId", t.peerId());
    call(t::listenAddresses).forEach(o.putArray("listenAddresses")::add);
    o.set("reachability", reachability(call(t::reachability)));
    ArrayNode list = o.putArray("peers");
    for (ConnectedPeer p : peers) {
      ObjectNode n = list.addObject();
      n.put("peerId", p.peerId());
      p.addresses().forEach(n.putArray("addresses")::add);
      n.put("agentVersion", p.agentVersion());
      p.protocols().forEach(n.putArray("protocols")::add);
      n.put("direction", p.direction().name().toLowerCase(Locale.ROOT));
      n.put("since", p.since().toString());
      RemoteNode r = remote;
      if (r != null) {
        r.knownOffer(p.peerId()).ifPresent(c -> n.set("capacity", Json.MAPPER.valueToTree(c)));
        var rep = r.reputation().get(p.peerId());
        if (rep != null) {
          n.putObject("reputation")
              .put("successes", rep.successes())
              .put("failures", rep.failures())
              .put("timeouts", rep.timeouts())
              .put("lies", rep.lies())
              .put("score", Math.round(rep.score() * 1000) / 1000.0);
        }
      }
    }
    ex.json(200, o);
  }

  private void getValue(Exchange ex, DhtKey key) throws IOException {
    Transport t = transport();
    Optional<byte[]> v = network(() -> t.getValue(key));
    if (v.isEmpty()) {
      throw ApiException.notFound(
          "key", "no value for " + key + " here or on the peers closest to it");
    }
    ObjectNode o =
        Json.MAPPER
            .createObjectNode()
            .put("key", key.text())
            .put("bytes", v.get().length)
            .put("valueBase64", Base64.getEncoder().encodeToString(v.get()));
    ex.json(200, o);
  }

  private void putValue(Exchange ex, DhtKey key) throws IOException {
    Transport t = transport();
    int max = node.config().limits().maxValueBytes();
    byte[] value;
    try {
      value = ex.body(max);
    } catch (ApiException e) {
      if (e.status() == 413) {
        throw new ApiException(
            413,
            "payload-too-large",
            "value",
            "the value is over " + max + " bytes, this node's p2p.max-value-size");
      }
      throw e;
    }
    int peers = network(() -> t.putValue(key, value));
    ex.json(
        200,
        Json.MAPPER
            .createObjectNode()
            .put("key", key.text())
            .put("bytes", value.length)
            .put("peers", peers));
  }

  private void findProviders(Exchange ex, DhtKey key) throws IOException {
    Map<String, String> q = ex.onlyParams(Set.of("max"));
    int max = 20;
    if (q.containsKey("max")) {
      try {
        max = Integer.parseInt(q.get("max"));
      } catch (NumberFormatException e) {
        max = -1;
      }
      if (max < 1 || max > MAX_PROVIDERS) {
        throw ApiException.invalid("max", "max must be a whole number from 1 to " + MAX_PROVIDERS);
      }
    }
    Transport t = transport();
    int n = max;
    List<PeerAddresses> found = network(() -> t.findProviders(key, n));
    ObjectNode o = Json.MAPPER.createObjectNode().put("key", key.text());
    ArrayNode list = o.putArray("providers");
    for (PeerAddresses p : found) {
      ObjectNode e = list.addObject().put("peerId", p.peerId());
      p.addresses().forEach(e.putArray("addresses")::add);
    }
    ex.json(200, o);
  }

  /** Runs a transport call, turning its errors into API errors. */
  /**
   * DHT operations at once; each can walk the network for up to the query timeout, so without a
   * bound any token holder could tie up the node with lookups.
   */
  static final int MAX_NETWORK_OPERATIONS = 16;

  private final java.util.concurrent.Semaphore networkOperations =
      new java.util.concurrent.Semaphore(MAX_NETWORK_OPERATIONS);

  /** Runs a DHT operation in one of the {@value #MAX_NETWORK_OPERATIONS} slots, or answers 429. */
  private <T> T network(java.util.function.Supplier<T> op) {
    if (!networkOperations.tryAcquire()) {
      throw new ApiException(
          429,
          "p2p-busy",
          null,
          MAX_NETWORK_OPERATIONS + " DHT operations are already running on this node; retry later",
          Map.of("Retry-After", "1"));
    }
    try {
      return call(op);
    } finally {
      networkOperations.release();
    }
  }

  private static <T> T call(java.util.function.Supplier<T> op) {
    try {
      return op.get();
    } catch (InvalidInputException e) {
      throw ApiException.invalid(e.field(), e.getMessage());
    } catch (TransportException e) {
      throw new ApiException(
          502, "p2p-failed", null, "the p2p operation failed: " + e.getMessage());
    }
  }

  private static DhtKey key(String raw) {
    String text = decode(raw, "key");
    String problem = DhtKey.problem(text);
    if (problem != null) {
      throw ApiException.invalid(
          "key", problem + " (percent-encode the key as one path segment: %2Fplasm%2F...)");
    }
    return new DhtKey(text);
  }

  /** Strict percent-decoding of one path segment as UTF-8 ('+' stays '+'). */
  static String decode(String raw, String field) {
    ByteArrayOutputStream b = new ByteArrayOutputStream(raw.length());
    for (int i = 0; i < raw.length(); i++) {
      char c = raw.charAt(i);
      if (c == '%') {
        int hi = i + 2 < raw.length() ? Character.digit(raw.charAt(i + 1), 16) : -1;
        int lo = hi >= 0 ? Character.digit(raw.charAt(i + 2), 16) : -1;
        if (lo < 0) {
          throw ApiException.invalid(
              field, "the " + field + " has a bad percent-escape at index " + i);
        }
        b.write(hi * 16 + lo);
        i += 2;
      } else {
        b.write(c);
      }
    }
    try {
      return StandardCharsets.UTF_8
          .newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(b.toByteArray()))
          .toString();
    } catch (CharacterCodingException e) {
      throw ApiException.invalid(field, "the " + field + " is not UTF-8 once percent-decoded");
    }
  }

  private static String shorten(String s) {
    return s.length() > 80 ? s.substring(0, 80) + "…" : s;
  }
}
