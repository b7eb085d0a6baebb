package dev.plasm.job;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.api.Limit;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/** docs/manifest.schema.json and docs/manifest.md describe exactly what the reader accepts. */
class ManifestSchemaTests {
  static final Path ROOT = Path.of(System.getProperty("plasm.repo.root", "../.."));

  @Test
  void theSchemaHasExactlyTheFieldsOfAManifestFileAndEveryLimitWithItsRange() throws Exception {
    JsonNode schema =
        JsonMapper.builder()
            .build()
            .readTree(Files.readAllBytes(ROOT.resolve("docs/manifest.schema.json")));
    Set<String> fields = new TreeSet<>(schema.get("properties").propertyNames());
    // Each schema field is one the reader knows (it says "must not be null", not "unknown field").
    for (String f : fields) {
      if (f.startsWith("module")) {
        continue;
      }
      ManifestException e =
          org.junit.jupiter.api.Assertions.assertThrows(
              ManifestException.class,
              () ->
                  JobJson.manifest(
                      ("{\"modulePath\": \"m.wasm\", \"" + f + "\": null}").getBytes(),
                      JobJson.Source.FILE));
      assertEquals(ManifestException.Problem.INVALID_VALUE, e.problem(), f + ": " + e.getMessage());
    }
    JsonNode limits = schema.get("properties").get("limits").get("properties");
    Set<String> names = new TreeSet<>();
    for (Limit l : Limit.values()) {
      names.add(l.jsonName());
      JsonNode s = limits.get(l.jsonName());
      assertEquals(l.min(), s.get("minimum").asLong(), l.jsonName());
      assertEquals(l.max(), s.get("maximum").asLong(), l.jsonName());
    }
    assertEquals(names, new TreeSet<>(limits.propertyNames()));
    String doc = Files.readString(ROOT.resolve("docs/manifest.md"));
    for (String f : fields) {
      assertTrue(doc.contains("| `" + f + "` |"), "docs/manifest.md does not document " + f);
    }
    for (Limit l : Limit.values()) {
      assertTrue(
          doc.contains("| `" + l.jsonName() + "` |")
              && doc.contains("`" + l.flag() + "`")
              && doc.contains("`limits." + l.configKey() + "`"),
          "docs/manifest.md does not document limit " + l);
    }
  }

  @Test
  void aFieldNotInTheSchemaIsUnknown() {
    ManifestException e =
        org.junit.jupiter.api.Assertions.assertThrows(
            ManifestException.class,
            () ->
                JobJson.manifest(
                    "{\"modulePath\": \"m.wasm\", \"colour\": 1}".getBytes(), JobJson.Source.FILE));
    assertEquals(ManifestException.Problem.UNKNOWN_FIELD, e.problem());
  }
}
