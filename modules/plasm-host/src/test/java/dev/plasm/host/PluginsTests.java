package dev.plasm.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * One loader for every kind of plugin: a plugin directory is layered once, and engines,
 * transports and receipt schemes all come from those layers. The plugin here is compiled by the
 * test into an exploded module, as a plugin author's build would produce it.
 */
class PluginsTests {
  @TempDir Path tmp;

  /** Compiles a plugin module providing two receipt schemes: a new one and one whose id the boot layer has. */
  private Path schemePlugin(Path pluginDir) throws Exception {
    Path src = Files.createDirectories(tmp.resolve("src/test.scheme/test/scheme"));
    Files.writeString(
        src.getParent().getParent().resolve("module-info.java"),
        """
        module test.scheme {
          requires dev.plasm.receipt.spi;
          provides dev.plasm.receipt.spi.ReceiptSchemeProvider with test.scheme.Fresh, test.scheme.Taken;
        }
        """);
    String scheme =
        """
        package test.scheme;
        public final class %1$s implements dev.plasm.receipt.spi.ReceiptSchemeProvider {
          public String id() { return "%2$s"; }
          public dev.plasm.receipt.spi.ReceiptScheme create() {
            return new dev.plasm.receipt.spi.ReceiptScheme() {
              public String id() { return "%2$s"; }
              public byte[] sign(dev.plasm.receipt.spi.Signer n, byte[] m) { return new byte[0]; }
              public String publicKeyProblem(byte[] k) { return null; }
              public boolean verify(byte[] k, byte[] m, byte[] s) { return false; }
            };
          }
        }
        """;
    Files.writeString(src.resolve("Fresh.java"), scheme.formatted("Fresh", "test-fresh"));
    Files.writeString(src.resolve("Taken.java"), scheme.formatted("Taken", ReceiptSchemes.DEFAULT));
    Path out = Files.createDirectories(pluginDir.resolve("test-scheme"));
    // The test's own module path: the SPI and everything it reads.
    String modulePath = System.getProperty("jdk.module.path");
    List<String> args =
        new java.util.ArrayList<>(
            List.of(
                "-d",
                out.toString(),
                "--module-path",
                modulePath,
                src.getParent().getParent().resolve("module-info.java").toString()));
    try (var files = Files.list(src)) {
      files.forEach(f -> args.add(f.toString()));
    }
    java.io.StringWriter errors = new java.io.StringWriter();
    java.io.PrintWriter w = new java.io.PrintWriter(errors);
    int rc =
        java.util.spi.ToolProvider.findFirst("javac")
            .orElseThrow()
            .run(w, w, args.toArray(String[]::new));
    assertEquals(0, rc, errors::toString);
    return out;
  }

  @Test
  void aPluginsReceiptSchemeIsFoundBesideTheBootLayersAndAnIdTakenTwiceIsRefusedByName()
      throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("plugins"));
    Path plugin = schemePlugin(dir);
    Plugins plugins = Plugins.load(List.of(dir));

    ReceiptSchemes schemes = plugins.receiptSchemes();
    assertEquals("test-fresh", schemes.require("test-fresh").id());
    assertTrue(
        schemes
            .find(ReceiptSchemes.DEFAULT)
            .orElseThrow()
            .getClass()
            .getModule()
            .getName()
            .startsWith("dev.plasm"),
        "the boot layer's ed25519 keeps its id");
    assertEquals(1, schemes.problems().size(), schemes.problems()::toString);
    assertTrue(
        schemes.problems().get(0).message().contains("'ed25519'")
            && schemes.problems().get(0).message().contains("already provided by boot"),
        schemes.problems()::toString);

    List<PluginInfo> info = plugins.plugins();
    assertEquals(1, info.size(), info::toString);
    assertEquals(plugin.toString(), info.get(0).source());
    assertEquals(List.of("test.scheme"), info.get(0).modules());
    assertEquals(List.of("test-fresh"), info.get(0).receiptSchemes());
    assertEquals(List.of(), info.get(0).engines());
    // The engines of the boot layer are served from the same loader.
    assertEquals(EngineRegistry.discover().engines().size(), plugins.engines().engines().size());
  }

  @Test
  void aBrokenPluginIsReportedOnceByNameHoweverManyKindsAreAskedFor() throws Exception {
    Path dir = Files.createDirectories(tmp.resolve("plugins"));
    Files.writeString(dir.resolve("broken.jar"), "garbage");
    Files.createDirectory(dir.resolve("empty-plugin"));
    Plugins plugins = Plugins.load(List.of(dir));
    plugins.engines();
    plugins.transports();
    plugins.receiptSchemes();
    assertEquals(2, plugins.problems().size(), plugins.problems()::toString);
    assertTrue(plugins.problems().stream().anyMatch(p -> p.source().endsWith("broken.jar")));
    assertTrue(
        plugins.problems().stream()
            .anyMatch(
                p ->
                    p.source().endsWith("empty-plugin")
                        && p.message().contains("no module found")));
    assertEquals(2, plugins.engines().engines().size(), "the boot layer's engines still load");
    assertTrue(plugins.plugins().isEmpty());
  }

  @Test
  void theDirectoriesAreThoseConfiguredElseTheImagesThenTheHomes() {
    String before = System.getProperty("plasm.image");
    try {
      System.clearProperty("plasm.image");
      assertEquals(
          List.of(Path.of("/srv/plasm/plugins")),
          Plugins.defaultDirectories(Path.of("/srv/plasm")));
      System.setProperty("plasm.image", "/opt/plasm");
      assertEquals(
          List.of(Path.of("/opt/plasm/plugins"), Path.of("/srv/plasm/plugins")),
          Plugins.defaultDirectories(Path.of("/srv/plasm")));
      // No directory configured: the defaults; some configured: those alone, in their order.
      assertEquals(
          Plugins.defaultDirectories(Path.of("/srv/plasm")),
          Plugins.directories(List.of(), Path.of("/srv/plasm")));
      assertEquals(
          List.of(Path.of("/b"), Path.of("/a")),
          Plugins.directories(List.of(Path.of("/b"), Path.of("/a")), Path.of("/srv/plasm")));
    } finally {
      if (before == null) {
        System.clearProperty("plasm.image");
      } else {
        System.setProperty("plasm.image", before);
      }
    }
  }
}
