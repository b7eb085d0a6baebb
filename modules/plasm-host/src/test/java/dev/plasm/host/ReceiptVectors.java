package dev.plasm.host;

import dev.plasm.identity.NodeIdentity;
import dev.plasm.identity.PeerId;
import dev.plasm.receipt.spi.Receipt;
import dev.plasm.receipt.spi.ReceiptCodec;
import dev.plasm.receipt.spi.ReceiptScheme;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * Generates the receipt test vectors in docs/receipts/vectors: fixed keys and contents, so the
 * output is the same on every run. Each vector is a receipt file plus a manifest entry saying
 * whether it verifies and, if not, which check must fail.
 */
final class ReceiptVectors {
  static final byte[] SIGNER_SEED = seed(1);
  static final byte[] OTHER_SEED = seed(2);
  static final String HELLO_STDOUT = "Hello from WebAssembly!\n";
  private static final JsonMapper MAPPER = JsonMapper.builder().build();

  record Vector(String file, boolean valid, String failsCheck, String reason, String expectJobId) {}

  private ReceiptVectors() {}

  private static byte[] seed(int n) {
    byte[] s = new byte[32];
    for (int i = 0; i < 32; i++) {
      s[i] = (byte) (n * 31 + i);
    }
    return s;
  }

  static Receipt unsigned(
      NodeIdentity id, String jobId, String nonce, Receipt.Settings settings, byte[] module) {
    return new Receipt(
        Receipt.VERSION,
        "ed25519",
        jobId,
        nonce,
        new Receipt.Digest(Hashing.sha256Hex(module), module.length),
        new Receipt.Inputs(
            "hello.wasm",
            ReceiptIssuer.argsSha256(List.of()),
            ReceiptIssuer.envSha256(Map.of()),
            ReceiptIssuer.digest(StreamDigest.of(new byte[0]))),
        settings,
        ReceiptCodec.sha256OfCanonical(ReceiptCodec.settings(settings)),
        new Receipt.Outcome("completed", 0, null),
        ReceiptIssuer.digest(StreamDigest.of(HELLO_STDOUT.getBytes(StandardCharsets.UTF_8))),
        ReceiptIssuer.digest(StreamDigest.of(new byte[0])),
        new Receipt.Usage(41_250, 2, null),
        "2026-11-25T12:00:00.000Z",
        "2026-11-25T12:00:00.042Z",
        new Receipt.Signer(id.peerId().toString(), id.publicKeyBase64()),
        null);
  }

  /** The six limits receipts stated when the vectors were made (1M table elements, 64MiB modules). */
  static Map<String, Long> limits(long memory, long timeoutMillis, long output) {
    Map<String, Long> m = new LinkedHashMap<>();
    m.put("maxMemoryBytes", memory);
    m.put("maxTableElements", 1_000_000L);
    m.put("timeoutMillis", timeoutMillis);
    m.put("maxOutputBytes", output);
    m.put("maxModuleBytes", 67_108_864L);
    return m;
  }

  static Receipt sign(Receipt r, NodeIdentity id, ReceiptScheme scheme) {
    return r.withSignature(
        Base64.getEncoder()
            .encodeToString(scheme.sign(ReceiptIssuer.signer(id), ReceiptCodec.signingBytes(r))));
  }

  /** Writes every vector and the manifest into {@code dir}; returns the file names written. */
  static List<String> generate(Path dir, byte[] helloModule, ReceiptScheme scheme)
      throws IOException {
    Files.createDirectories(dir);
    NodeIdentity signer = NodeIdentity.fromSeed(SIGNER_SEED);
    NodeIdentity other = NodeIdentity.fromSeed(OTHER_SEED);
    Receipt.Settings def =
        new Receipt.Settings(
            "chicory-interpreter", "1.7.5", "default", limits(268435456, 60000, 16777216), null);
    Receipt.Settings det =
        new Receipt.Settings(
            "chicory-compiler",
            "1.7.5",
            "deterministic",
            limits(67108864, 5000, 1048576),
            new Receipt.Deterministic(
                1_764_072_000_000_000L,
                "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"));
    Receipt hello =
        sign(unsigned(signer, "job-0001", "nonce-abc", def, helloModule), signer, scheme);
    Receipt helloDet = sign(unsigned(signer, "job-0002", null, det, helloModule), signer, scheme);

    List<Vector> vectors = new ArrayList<>();
    Map<String, String> files = new LinkedHashMap<>();
    files.put("valid-hello.json", ReceiptCodec.toJson(hello));
    vectors.add(
        new Vector(
            "valid-hello.json",
            true,
            null,
            "a hello receipt, default profile, with a nonce",
            null));
    files.put("valid-hello-deterministic.json", ReceiptCodec.toJson(helloDet));
    vectors.add(
        new Vector(
            "valid-hello-deterministic.json", true, null, "deterministic profile, no nonce", null));
    // A byte-identical, compact (canonical) rendering verifies too: layout does not matter.
    ObjectNode compact = ReceiptCodec.toTree(hello);
    files.put("valid-hello-compact.json", MAPPER.writeValueAsString(compact) + "\n");
    vectors.add(
        new Vector(
            "valid-hello-compact.json", true, null, "the same receipt without whitespace", null));

    Map<String, UnaryOperator<ObjectNode>> tamper = new LinkedHashMap<>();
    tamper.put(
        "module.sha256",
        t -> set(t, "module", "sha256", flipHex(t.get("module").get("sha256").asString())));
    tamper.put("module.bytes", t -> setNum(t, "module", "bytes", 29967));
    tamper.put(
        "inputs.argsSha256",
        t -> set(t, "inputs", "argsSha256", ReceiptIssuer.argsSha256(List.of("x"))));
    tamper.put(
        "inputs.envSha256",
        t -> set(t, "inputs", "envSha256", ReceiptIssuer.envSha256(Map.of("A", "1"))));
    tamper.put(
        "inputs.stdin.sha256",
        t -> {
          ((ObjectNode) t.get("inputs").get("stdin"))
              .put("sha256", flipHex(t.get("inputs").get("stdin").get("sha256").asString()));
          return t;
        });
    tamper.put("outcome.exitCode", t -> setNum(t, "outcome", "exitCode", 1));
    tamper.put(
        "stdout.sha256",
        t -> set(t, "stdout", "sha256", flipHex(t.get("stdout").get("sha256").asString())));
    tamper.put("stdout.bytes", t -> setNum(t, "stdout", "bytes", 25));
    tamper.put(
        "stderr.sha256",
        t -> set(t, "stderr", "sha256", flipHex(t.get("stderr").get("sha256").asString())));
    tamper.put("usage.wallTimeMicros", t -> setNum(t, "usage", "wallTimeMicros", 1));
    tamper.put("jobId", t -> t.put("jobId", "job-9999"));
    tamper.put("nonce", t -> t.put("nonce", "nonce-xyz"));
    tamper.put("startedAt", t -> t.put("startedAt", "2026-11-25T11:00:00.000Z"));
    for (var e : tamper.entrySet()) {
      String name = "tampered-" + e.getKey().replace('.', '-') + ".json";
      files.put(name, json(e.getValue().apply(ReceiptCodec.toTree(hello))));
      vectors.add(
          new Vector(name, false, "signature", e.getKey() + " was changed after signing", null));
    }
    // The settings changed together with their hash: the hash holds, the signature does not.
    ObjectNode limits = ReceiptCodec.toTree(hello);
    ((ObjectNode) limits.get("settings").get("limits")).put("timeoutMillis", 3_600_000);
    limits.put("settingsSha256", ReceiptCodec.sha256OfCanonical(limits.get("settings")));
    files.put("tampered-settings-limits.json", json(limits));
    vectors.add(
        new Vector(
            "tampered-settings-limits.json",
            false,
            "signature",
            "settings.limits.timeoutMillis and settingsSha256 were changed after signing",
            null));
    ObjectNode settingsOnly = ReceiptCodec.toTree(hello);
    ((ObjectNode) settingsOnly.get("settings")).put("engineId", "chicory-compiler");
    files.put("tampered-settings-engine.json", json(settingsOnly));
    vectors.add(
        new Vector(
            "tampered-settings-engine.json",
            false,
            "settings-hash",
            "settings.engineId no longer matches settingsSha256",
            null));

    ObjectNode sigFlip = ReceiptCodec.toTree(hello);
    byte[] sig = Base64.getDecoder().decode(hello.signature());
    sig[10] ^= 0x01;
    sigFlip.put("signature", Base64.getEncoder().encodeToString(sig));
    files.put("tampered-signature-byte.json", json(sigFlip));
    vectors.add(
        new Vector(
            "tampered-signature-byte.json",
            false,
            "signature",
            "one bit of the signature flipped",
            null));

    ObjectNode truncated = ReceiptCodec.toTree(hello);
    truncated.put(
        "signature",
        Base64.getEncoder()
            .encodeToString(
                java.util.Arrays.copyOf(Base64.getDecoder().decode(hello.signature()), 63)));
    files.put("tampered-signature-truncated.json", json(truncated));
    vectors.add(
        new Vector(
            "tampered-signature-truncated.json",
            false,
            "signature",
            "the signature is 63 bytes",
            null));

    // The content signed by another key, presented under that key: authentic, but by someone else.
    Receipt byOther =
        sign(unsigned(other, "job-0001", "nonce-abc", def, helloModule), other, scheme);
    files.put("other-signer.json", ReceiptCodec.toJson(byOther));
    vectors.add(
        new Vector(
            "other-signer.json",
            false,
            "trust",
            "a valid receipt signed by a node that is not trusted",
            null));

    ObjectNode swapped = ReceiptCodec.toTree(hello);
    ((ObjectNode) swapped.get("signer")).put("publicKey", other.publicKeyBase64());
    ((ObjectNode) swapped.get("signer")).put("peerId", other.peerId().toString());
    files.put("tampered-swapped-key.json", json(swapped));
    vectors.add(
        new Vector(
            "tampered-swapped-key.json",
            false,
            "signature",
            "the signer's key and peer id were replaced by another node's",
            null));

    ObjectNode peerMismatch = ReceiptCodec.toTree(hello);
    ((ObjectNode) peerMismatch.get("signer")).put("peerId", other.peerId().toString());
    files.put("tampered-peer-id.json", json(peerMismatch));
    vectors.add(
        new Vector(
            "tampered-peer-id.json",
            false,
            "signer-peer-id",
            "signer.peerId is not the peer id of signer.publicKey",
            null));

    byte[] smallOrder = new byte[32];
    smallOrder[0] = 1;
    byte[] forged = new byte[64];
    forged[0] = 1;
    ObjectNode small = ReceiptCodec.toTree(hello);
    ((ObjectNode) small.get("signer"))
        .put("publicKey", Base64.getEncoder().encodeToString(smallOrder));
    ((ObjectNode) small.get("signer")).put("peerId", PeerId.ofEd25519(smallOrder).toString());
    small.put("signature", Base64.getEncoder().encodeToString(forged));
    files.put("tampered-small-order-key.json", json(small));
    vectors.add(
        new Vector(
            "tampered-small-order-key.json",
            false,
            "signer-key",
            "small-order key 01 00..00 with the signature R = identity, S = 0, which the JDK's verifier accepts",
            null));

    files.put("valid-hello-other-job.json", ReceiptCodec.toJson(hello));
    vectors.add(
        new Vector(
            "valid-hello-other-job.json",
            false,
            "job-id",
            "a valid receipt presented for job job-0042",
            "job-0042"));

    String text = ReceiptCodec.toJson(hello);
    files.put(
        "malformed-duplicate-key.json",
        text.replaceFirst(
            "\"jobId\" : \"job-0001\",", "\"jobId\" : \"job-0001\",\n  \"jobId\" : \"job-0002\","));
    vectors.add(
        new Vector("malformed-duplicate-key.json", false, "format", "jobId appears twice", null));
    files.put(
        "malformed-unknown-field.json",
        text.replaceFirst("\"jobId\"", "\"priority\" : 1,\n  \"jobId\""));
    vectors.add(
        new Vector(
            "malformed-unknown-field.json", false, "format", "an unknown top-level field", null));
    files.put(
        "malformed-fraction.json",
        text.replace("\"wallTimeMicros\" : 41250", "\"wallTimeMicros\" : 41250.5"));
    vectors.add(
        new Vector("malformed-fraction.json", false, "format", "a fractional number", null));
    files.put("malformed-truncated.json", text.substring(0, text.length() / 2));
    vectors.add(
        new Vector("malformed-truncated.json", false, "format", "the file is cut in half", null));

    for (var f : files.entrySet()) {
      Files.writeString(dir.resolve(f.getKey()), f.getValue(), StandardCharsets.UTF_8);
    }
    Files.writeString(dir.resolve("hello.stdout"), HELLO_STDOUT, StandardCharsets.UTF_8);
    ObjectNode manifest = MAPPER.createObjectNode();
    manifest.put(
        "description",
        "Plasm receipt test vectors; see docs/receipts.md. Generated by ReceiptVectors in plasm-host's tests.");
    manifest.put("trustedPeerId", signer.peerId().toString());
    manifest.put("trustedPublicKey", signer.publicKeyBase64());
    manifest.put("module", "examples/hello.wasm");
    manifest.put("stdout", "hello.stdout");
    var arr = manifest.putArray("vectors");
    for (Vector v : vectors) {
      ObjectNode n = arr.addObject();
      n.put("file", v.file());
      n.put("valid", v.valid());
      if (v.failsCheck() != null) {
        n.put("failsCheck", v.failsCheck());
      }
      n.put("reason", v.reason());
      if (v.expectJobId() != null) {
        n.put("expectJobId", v.expectJobId());
      }
    }
    Files.writeString(
        dir.resolve("manifest.json"),
        MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(manifest) + "\n");
    List<String> names = new ArrayList<>(files.keySet());
    names.add("hello.stdout");
    names.add("manifest.json");
    return names;
  }

  private static String json(ObjectNode n) {
    return MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(n) + "\n";
  }

  private static ObjectNode set(ObjectNode t, String obj, String field, String value) {
    ((ObjectNode) t.get(obj)).put(field, value);
    return t;
  }

  private static ObjectNode setNum(ObjectNode t, String obj, String field, long value) {
    ((ObjectNode) t.get(obj)).put(field, value);
    return t;
  }

  private static String flipHex(String hex) {
    char c = hex.charAt(0);
    return (c == '0' ? '1' : '0') + hex.substring(1);
  }
}
