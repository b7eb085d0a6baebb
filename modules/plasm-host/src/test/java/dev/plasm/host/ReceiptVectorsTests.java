package dev.plasm.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.receipt.spi.ReceiptCodec;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ObjectNode;

/**
 * The receipt test vectors in docs/receipts/vectors: they are what the generator makes, every
 * valid one verifies, and every tampered one fails the check the manifest names. Set
 * PLASM_WRITE_VECTORS=1 to rewrite them after a deliberate format change.
 */
class ReceiptVectorsTests {
  private static final Path ROOT = Path.of(System.getProperty("plasm.repo.root", "../.."));
  private static final Path DIR = ROOT.resolve("docs/receipts/vectors");
  private static final JsonMapper MAPPER = JsonMapper.builder().build();
  private final ReceiptVerifier verifier = new ReceiptVerifier(ReceiptSchemes.discover());

  private static byte[] hello() throws Exception {
    return Files.readAllBytes(ROOT.resolve("examples/hello.wasm"));
  }

  @Test
  void committedVectorsAreExactlyWhatTheGeneratorMakes(@TempDir Path tmp) throws Exception {
    var scheme = ReceiptSchemes.discover().require("ed25519");
    if ("1".equals(System.getenv("PLASM_WRITE_VECTORS"))) {
      ReceiptVectors.generate(DIR, hello(), scheme);
    }
    List<String> names = ReceiptVectors.generate(tmp, hello(), scheme);
    for (String n : names) {
      assertEquals(
          Files.readString(tmp.resolve(n)),
          Files.readString(DIR.resolve(n)),
          n
              + " differs from the generator's output; if the change is deliberate, rerun with PLASM_WRITE_VECTORS=1");
    }
  }

  @Test
  void everyVectorVerifiesOrFailsAsTheManifestSays() throws Exception {
    JsonNode manifest = MAPPER.readTree(DIR.resolve("manifest.json").toFile());
    byte[] stdout = Files.readAllBytes(DIR.resolve(manifest.get("stdout").asString()));
    List<String> trust = List.of(manifest.get("trustedPeerId").asString());
    int count = 0;
    for (JsonNode v : manifest.get("vectors")) {
      String file = v.get("file").asString();
      String jobId = v.has("expectJobId") ? v.get("expectJobId").asString() : null;
      var report =
          verifier.verify(
              Files.readAllBytes(DIR.resolve(file)),
              new ReceiptVerifier.Request(hello(), stdout, null, trust, jobId, null));
      if (v.get("valid").asBoolean()) {
        assertTrue(report.passed(), file + ": " + report.failures());
      } else {
        String check = v.get("failsCheck").asString();
        assertFalse(report.passed(), file);
        assertTrue(
            report.failures().stream().anyMatch(c -> c.name().equals(check)),
            file + " must fail '" + check + "' but failed " + report.failures());
      }
      count++;
    }
    assertTrue(count >= 25, "vectors: " + count);
  }

  @Test
  void aSignerMayBePinnedByItsPeerIdInEitherTextForm() throws Exception {
    JsonNode manifest = MAPPER.readTree(DIR.resolve("manifest.json").toFile());
    byte[] receipt = Files.readAllBytes(DIR.resolve("valid-hello.json"));
    String cid =
        dev.plasm.identity.PeerId.parse(manifest.get("trustedPeerId").asString()).toCidString();
    assertTrue(cid.startsWith("bafz"), cid);
    var trusted =
        verifier.verify(
            receipt, new ReceiptVerifier.Request(null, null, null, List.of(cid), null, null));
    assertTrue(trusted.passed(), trusted.failures().toString());
    String other = dev.plasm.identity.NodeIdentity.ephemeral().peerId().toCidString();
    var untrusted =
        verifier.verify(
            receipt, new ReceiptVerifier.Request(null, null, null, List.of(other), null, null));
    assertEquals(List.of("trust"), untrusted.failures().stream().map(c -> c.name()).toList());
  }

  @Test
  void everyByteOfTheSignatureMatters() throws Exception {
    ObjectNode tree = (ObjectNode) MAPPER.readTree(DIR.resolve("valid-hello.json").toFile());
    byte[] sig = Base64.getDecoder().decode(tree.get("signature").asString());
    for (int i = 0; i < sig.length; i++) {
      byte[] t = sig.clone();
      t[i] ^= 0x40;
      tree.put("signature", Base64.getEncoder().encodeToString(t));
      var report =
          verifier.verify(
              MAPPER.writeValueAsBytes(tree),
              new ReceiptVerifier.Request(null, null, null, List.of(), null, null));
      assertFalse(report.authentic(), "signature byte " + i);
    }
  }

  @Test
  void everySignedFieldIsCovered() throws Exception {
    ObjectNode tree =
        (ObjectNode) MAPPER.readTree(DIR.resolve("valid-hello-deterministic.json").toFile());
    List<String> paths = new ArrayList<>();
    leaves(tree, "", paths);
    assertTrue(paths.size() > 30, paths::toString);
    for (String path : paths) {
      if (path.equals("signature")) {
        continue;
      }
      ObjectNode copy = tree.deepCopy();
      mutate(copy, path);
      var report =
          verifier.verify(
              MAPPER.writeValueAsBytes(copy),
              new ReceiptVerifier.Request(null, null, null, List.of(), null, null));
      assertFalse(report.authentic(), "changing " + path + " went unnoticed");
    }
  }

  private static void leaves(JsonNode n, String path, List<String> out) {
    if (n.isObject()) {
      for (String k : n.propertyNames()) {
        leaves(n.get(k), path.isEmpty() ? k : path + "." + k, out);
      }
    } else {
      out.add(path);
    }
  }

  private static void mutate(ObjectNode root, String path) {
    String[] parts = path.split("\\.");
    ObjectNode o = root;
    for (int i = 0; i < parts.length - 1; i++) {
      o = (ObjectNode) o.get(parts[i]);
    }
    String k = parts[parts.length - 1];
    JsonNode v = o.get(k);
    if (v.isNumber()) {
      o.put(k, v.asLong() + 1);
    } else {
      String s = v.asString();
      char c = s.charAt(s.length() - 1);
      o.put(k, s.substring(0, s.length() - 1) + (c == '0' ? '1' : c == '1' ? '2' : '0'));
    }
  }

  @Test
  void canonicalFormIsSortedCompactJson() {
    var tree = MAPPER.createObjectNode();
    tree.put("b", 1);
    tree.put("a", "x\u0001\"é");
    tree.putObject("c").put("z", -5).put("y", true);
    assertEquals(
        "{\"a\":\"x\\u0001\\\"é\",\"b\":1,\"c\":{\"y\":true,\"z\":-5}}",
        new String(
            dev.plasm.receipt.spi.CanonicalJson.bytes(tree),
            java.nio.charset.StandardCharsets.UTF_8));
    assertEquals(ReceiptCodec.SIGNING_PREFIX, "plasm-receipt:v1:");
  }
}
