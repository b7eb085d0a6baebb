package dev.plasm.daemon.internal.remote;

import dev.plasm.api.Limit;
import dev.plasm.daemon.internal.store.Json;
import dev.plasm.identity.KeyFormatException;
import dev.plasm.identity.KeyType;
import dev.plasm.identity.NodeIdentity;
import dev.plasm.identity.PeerId;
import dev.plasm.identity.PeerPublicKey;
import dev.plasm.receipt.spi.CanonicalJson;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What a node offers to run for others, signed with its identity and published in the DHT under
 * {@code /plasm/node/<peer id>} (docs/remote.md, "Offers"). Whoever reads one checks that it is
 * signed by the key its peer id names, is for that peer, and has not expired; anything else is
 * refused.
 *
 * @param engines the engines it runs, with what each can do
 * @param limits the most a job may ask for there, by JSON limit name
 * @param capacity how busy it is as it signs
 * @param protocols the job protocols it serves
 */
record NodeRecord(
    String peerId,
    List<String> addresses,
    List<EngineOffer> engines,
    Map<String, Long> limits,
    Capacity capacity,
    List<String> protocols,
    Instant issuedAt,
    Instant expiresAt) {

  static final int VERSION = 1;
  static final String SIGNING_PREFIX = "plasm-node:v1:";

  /** How far ahead of this clock a record's issue time may be (clocks differ). */
  static final Duration SKEW = Duration.ofMinutes(5);

  /** The longest a record may be valid. */
  static final Duration MAX_TTL = Duration.ofHours(24);

  /** One engine a node runs. */
  record EngineOffer(String id, String version, String mode, boolean fuel, boolean deterministic) {}

  /**
   * @param executors jobs it runs at once
   * @param running jobs running now
   * @param queued jobs waiting
   * @param queueCapacity jobs it holds waiting at most
   * @param remoteFree jobs from other peers it would take now
   */
  record Capacity(int executors, int running, int queued, int queueCapacity, int remoteFree) {}

  NodeRecord {
    Objects.requireNonNull(peerId, "peerId");
    addresses = List.copyOf(addresses);
    engines = List.copyOf(engines);
    limits = Map.copyOf(limits);
    Objects.requireNonNull(capacity, "capacity");
    protocols = List.copyOf(protocols);
    Objects.requireNonNull(issuedAt, "issuedAt");
    Objects.requireNonNull(expiresAt, "expiresAt");
  }

  /** The most this node lets a job ask for, or its own maximum when the record does not say. */
  long limit(Limit l) {
    Long v = limits.get(l.jsonName());
    return v == null ? 0 : v;
  }

  ObjectNode unsigned() {
    ObjectNode o = Json.MAPPER.createObjectNode();
    o.put("version", VERSION);
    o.put("peerId", peerId);
    addresses.forEach(o.putArray("addresses")::add);
    var es = o.putArray("engines");
    for (EngineOffer e : engines) {
      es.addObject()
          .put("id", e.id())
          .put("version", e.version())
          .put("mode", e.mode())
          .put("fuel", e.fuel())
          .put("deterministic", e.deterministic());
    }
    ObjectNode lim = o.putObject("limits");
    limits.forEach(lim::put);
    o.putObject("capacity")
        .put("executors", capacity.executors())
        .put("running", capacity.running())
        .put("queued", capacity.queued())
        .put("queueCapacity", capacity.queueCapacity())
        .put("remoteFree", capacity.remoteFree());
    protocols.forEach(o.putArray("protocols")::add);
    o.put("issuedAt", issuedAt.toString());
    o.put("expiresAt", expiresAt.toString());
    return o;
  }

  /**
   * The DHT value: 16 hex digits of the issue time in milliseconds (so that the newest record is
   * the greatest value, which the DHT keeps), a newline, and the signed JSON.
   */
  byte[] sign(NodeIdentity identity) {
    ObjectNode o = unsigned();
    byte[] sig = identity.sign(signingBytes(o));
    o.put("signature", Base64.getEncoder().encodeToString(sig));
    String head = String.format("%016x\n", issuedAt.toEpochMilli());
    return (head + Json.LINE.writeValueAsString(o)).getBytes(StandardCharsets.UTF_8);
  }

  private static byte[] signingBytes(ObjectNode unsigned) {
    byte[] c = CanonicalJson.bytes(unsigned);
    byte[] p = SIGNING_PREFIX.getBytes(StandardCharsets.US_ASCII);
    byte[] all = new byte[p.length + c.length];
    System.arraycopy(p, 0, all, 0, p.length);
    System.arraycopy(c, 0, all, p.length, c.length);
    return all;
  }

  /** Why a DHT value is not a valid, current record of {@code peerId}; empty when it is. */
  static Optional<String> problem(byte[] value, String peerId, Instant now) {
    try {
      parse(value, peerId, now);
      return Optional.empty();
    } catch (IllegalArgumentException e) {
      return Optional.of(e.getMessage());
    }
  }

  /**
   * Reads and checks a record of {@code peerId}.
   *
   * @throws IllegalArgumentException saying why it is refused (forged, stale, malformed)
   */
  static NodeRecord parse(byte[] value, String peerId, Instant now) {
    String text = new String(value, StandardCharsets.UTF_8);
    if (text.length() < 18
        || text.charAt(16) != '\n'
        || !text.substring(0, 16).matches("[0-9a-f]{16}")) {
      throw new IllegalArgumentException("not a node record (no issue-time prefix)");
    }
    JsonNode o;
    try {
      o = Json.MAPPER.readTree(text.substring(17));
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("not a node record (not JSON)");
    }
    if (o == null || !o.isObject() || o.path("version").asInt() != VERSION) {
      throw new IllegalArgumentException("not a version " + VERSION + " node record");
    }
    String id = o.path("peerId").asString("");
    if (!id.equals(peerId)) {
      throw new IllegalArgumentException("a record of " + id + " stored under " + peerId);
    }
    PeerPublicKey key;
    try {
      key =
          PeerId.parse(peerId)
              .embeddedPublicKey()
              .filter(k -> k.type() == KeyType.ED25519)
              .orElseThrow(() -> new IllegalArgumentException("the peer id names no Ed25519 key"));
    } catch (IllegalArgumentException | KeyFormatException e) {
      throw new IllegalArgumentException("cannot check the signature: " + e.getMessage());
    }
    ObjectNode unsigned = ((ObjectNode) o).deepCopy();
    String sig = unsigned.path("signature").asString("");
    unsigned.remove("signature");
    byte[] sigBytes;
    try {
      sigBytes = Base64.getDecoder().decode(sig);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("the signature is not base64");
    }
    if (!key.verify(signingBytes(unsigned), sigBytes)) {
      throw new IllegalArgumentException(
          "the signature does not verify with the key of " + peerId + " (forged or altered)");
    }
    Instant issued;
    Instant expires;
    try {
      issued = Instant.parse(o.path("issuedAt").asString());
      expires = Instant.parse(o.path("expiresAt").asString());
    } catch (RuntimeException e) {
      throw new IllegalArgumentException("malformed issuedAt or expiresAt");
    }
    if (!text.substring(0, 16).equals(String.format("%016x", issued.toEpochMilli()))) {
      throw new IllegalArgumentException("the issue-time prefix disagrees with issuedAt");
    }
    if (issued.isAfter(now.plus(SKEW))) {
      throw new IllegalArgumentException("issued in the future (" + issued + ")");
    }
    if (!expires.isAfter(now)) {
      throw new IllegalArgumentException("stale: expired at " + expires);
    }
    if (Duration.between(issued, expires).compareTo(MAX_TTL) > 0) {
      throw new IllegalArgumentException("valid for more than " + MAX_TTL.toHours() + " h");
    }
    List<String> addresses = new ArrayList<>();
    o.path("addresses").forEach(a -> addresses.add(a.asString()));
    List<EngineOffer> engines = new ArrayList<>();
    for (JsonNode e : o.path("engines")) {
      engines.add(
          new EngineOffer(
              e.path("id").asString(),
              e.path("version").asString(),
              e.path("mode").asString(),
              e.path("fuel").asBoolean(),
              e.path("deterministic").asBoolean()));
    }
    Map<String, Long> limits = new LinkedHashMap<>();
    o.path("limits").properties().forEach(e -> limits.put(e.getKey(), e.getValue().asLong()));
    JsonNode c = o.path("capacity");
    Capacity cap =
        new Capacity(
            c.path("executors").asInt(),
            c.path("running").asInt(),
            c.path("queued").asInt(),
            c.path("queueCapacity").asInt(),
            c.path("remoteFree").asInt());
    List<String> protocols = new ArrayList<>();
    o.path("protocols").forEach(p -> protocols.add(p.asString()));
    return new NodeRecord(id, addresses, engines, limits, cap, protocols, issued, expires);
  }
}
