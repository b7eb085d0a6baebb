package dev.plasm.host;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * An independent JavaScript implementation of docs/receipts.md (docs/receipts/canonical-check.mjs)
 * agrees with Java on the vectors: the specification, not the Java code, defines the signed bytes.
 */
class ReceiptCrossLanguageTests {
  private static final Path ROOT = Path.of(System.getProperty("plasm.repo.root", "../.."));

  @ParameterizedTest
  @CsvSource({
    "valid-hello.json, valid",
    "valid-hello-deterministic.json, valid",
    "valid-hello-compact.json, valid",
    "other-signer.json, valid",
    "tampered-stdout-sha256.json, invalid: signature",
    "tampered-settings-limits.json, invalid: signature",
    "tampered-settings-engine.json, invalid: settingsSha256 does not match the settings",
    "tampered-signature-truncated.json, invalid: key or signature has the wrong length",
  })
  void nodeAgreesWithJava(String file, String expected) throws Exception {
    Process p =
        new ProcessBuilder(
                "node",
                ROOT.resolve("docs/receipts/canonical-check.mjs").toString(),
                ROOT.resolve("docs/receipts/vectors").resolve(file).toString())
            .redirectErrorStream(true)
            .start();
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError("node did not finish");
    }
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
    assertEquals(expected, out, file);
  }
}
