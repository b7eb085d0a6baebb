package dev.plasm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.junit.jupiter.api.Test;

/** The commands other than {@code run}: engines, help, version. */
class CommandsTests {

  @Test
  void runAloneHasTheSameHelpAsRunInTheWholeCommandTree() {
    Streams streams =
        new Streams(
            new java.io.ByteArrayInputStream(new byte[0]),
            new java.io.ByteArrayOutputStream(),
            new java.io.ByteArrayOutputStream(),
            Map.of());
    String whole =
        Main.commandLine(streams, c -> {}, null).getSubcommands().get("run").getUsageMessage();
    String alone =
        Main.commandLine(streams, c -> {}, Main.only(new String[] {"run"}))
            .getSubcommands()
            .get("run")
            .getUsageMessage();
    assertEquals(whole, alone);
    assertTrue(alone.contains("--plugin-dir"), alone); // inherited from the root command
    assertTrue(alone.contains("134"), alone); // the exit codes
  }

  /**
   * Each command a user starts is built alone (start-up time): its name must be its model's, and
   * its help (and every subcommand's) the same as in the whole tree, exit codes and limits included.
   */
  @Test
  void everyCommandBuiltAloneHasTheSameHelpAsInTheWholeTree() {
    Streams streams =
        new Streams(
            new java.io.ByteArrayInputStream(new byte[0]),
            new java.io.ByteArrayOutputStream(),
            new java.io.ByteArrayOutputStream(),
            Map.of());
    var tree = Main.commandLine(streams, c -> {}, null).getSubcommands();
    java.util.Set<String> expected = new java.util.TreeSet<>(tree.keySet());
    expected.removeAll(java.util.Set.of("shell", "completion", "help"));
    assertEquals(
        expected, new java.util.TreeSet<>(Main.ALONE.keySet()), "commands that start alone");
    for (String name : Main.ALONE.keySet()) {
      picocli.CommandLine alone =
          Main.commandLine(streams, c -> {}, Main.only(new String[] {name, "--help"}));
      assertEquals(java.util.Set.of(name), alone.getSubcommands().keySet(), name);
      assertEquals(
          tree.get(name).getCommand().getClass(),
          alone.getSubcommands().get(name).getCommand().getClass(),
          name);
      assertSameHelp(tree.get(name), alone.getSubcommands().get(name));
    }
    assertEquals(null, Main.only(new String[] {"shell"}));
    assertEquals(null, Main.only(new String[] {"--version", "jobs"}));
    // --version alone builds no command at all, and says the same.
    assertEquals(Main.class, Main.only(new String[] {"--version"}));
    java.io.ByteArrayOutputStream whole = new java.io.ByteArrayOutputStream();
    Streams s =
        new Streams(
            new java.io.ByteArrayInputStream(new byte[0]),
            whole,
            new java.io.ByteArrayOutputStream(),
            Map.of());
    assertEquals(0, Main.commandLine(s, c -> {}, null).execute("--version"));
    assertEquals(
        whole.toString(java.nio.charset.StandardCharsets.UTF_8), Cli.run("--version").out());
    assertEquals(Cli.run("--version").out(), Cli.run("-V").out());
    assertEquals(null, Main.only(new String[] {"--plugin-dir", "x", "jobs"}));
  }

  private static void assertSameHelp(picocli.CommandLine whole, picocli.CommandLine alone) {
    assertEquals(
        whole.getUsageMessage(), alone.getUsageMessage(), whole.getCommandSpec().qualifiedName());
    assertEquals(whole.getSubcommands().keySet(), alone.getSubcommands().keySet());
    for (String sub : whole.getSubcommands().keySet()) {
      assertSameHelp(whole.getSubcommands().get(sub), alone.getSubcommands().get(sub));
    }
  }

  @Test
  void enginesListsBothChicoryEnginesWithWhatTheyEnforce() {
    var r = Cli.run("engines");
    assertEquals(0, r.exitCode(), r::toString);
    assertTrue(
        r.out()
            .matches("(?s).*chicory-compiler\\s+\\S+\\s+jvm-bytecode\\s+memory,table,wall-time.*"),
        r.out());
    assertTrue(
        r.out().matches("(?s).*chicory-interpreter\\s+\\S+\\s+interpreter\\s+memory,table,fuel.*"),
        r.out());
    assertTrue(r.out().contains("--engine auto (the default) picks"), r.out());
  }

  @Test
  void enginesJsonIsMachineReadable() {
    var r = Cli.run("engines", "--json");
    assertEquals(0, r.exitCode(), r::toString);
    assertTrue(r.out().contains("\"default\" : \"auto\""), r.out());
    assertTrue(r.out().contains("\"id\" : \"chicory-compiler\""), r.out());
    assertTrue(r.out().contains("\"mode\" : \"interpreter\""), r.out());
    assertTrue(r.out().contains("\"problems\" : [ ]"), r.out());
  }

  @Test
  void versionNamesPlasmAndJava() {
    var r = Cli.run("--version");
    assertEquals(0, r.exitCode());
    assertTrue(r.out().startsWith("plasm 0."), r.out());
    assertTrue(r.out().contains("Java 25"), r.out());
  }

  @Test
  void helpListsCommandsAndRunHelpListsEveryExitCode() {
    var top = Cli.run("help");
    assertEquals(0, top.exitCode());
    assertTrue(top.out().contains("run") && top.out().contains("engines"), top.out());
    var run = Cli.run("run", "--help");
    assertEquals(0, run.exitCode());
    for (String entry : ExitCodes.HELP) {
      String code = entry.substring(0, entry.indexOf(':'));
      assertTrue(run.out().contains(code), "exit code " + code + " listed in:\n" + run.out());
    }
    for (String flag :
        new String[] {
          "--dir",
          "--env",
          "--engine",
          "--max-memory",
          "--timeout",
          "--fuel",
          "--max-output",
          "--json"
        }) {
      assertTrue(run.out().contains(flag), flag);
    }
    assertEquals(run.out(), Cli.run("help", "run").out());
  }

  @Test
  void noCommandPrintsUsage() {
    var r = Cli.run();
    assertEquals(0, r.exitCode());
    assertTrue(r.out().contains("Usage: plasm"), r.out());
  }

  @Test
  void aBrokenPluginIsNamedAndTheOtherEnginesStillWork(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Files.writeString(dir.resolve("broken-engine.jar"), "not a jar");
    var r = Cli.run("--plugin-dir", dir.toString(), "run", Fixture.hello().toString());
    assertEquals(0, r.exitCode(), r::toString);
    assertTrue(
        r.err().contains("plasm: warning: " + dir.resolve("broken-engine.jar")), r::toString);
    assertEquals("Hello from WebAssembly!\n", r.out());
    // Inherited: given after the command, it reaches the root's binding all the same.
    var after = Cli.run("run", "--plugin-dir", dir.toString(), Fixture.hello().toString());
    assertEquals(0, after.exitCode(), after::toString);
    assertTrue(
        after.err().contains("plasm: warning: " + dir.resolve("broken-engine.jar")),
        after::toString);
    var plugins = Cli.run("plugins", "--plugin-dir", dir.toString());
    assertTrue(plugins.out().contains("  " + dir), plugins.out());
  }

  @Test
  void pluginsListsDirectoriesAndNamesBrokenPlugins(
      @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) throws Exception {
    java.nio.file.Files.writeString(dir.resolve("broken-engine.jar"), "not a jar");
    var r = Cli.run("--plugin-dir", dir.toString(), "plugins");
    assertEquals(0, r.exitCode(), r::toString);
    assertTrue(r.out().contains("  " + dir), r.out());
    assertTrue(
        r.out().contains("Problems:") && r.out().contains("broken-engine.jar: plugin not loaded"),
        r.out());
    var json = Cli.run("--plugin-dir", dir.toString(), "plugins", "--json");
    assertTrue(json.out().contains("\"directories\" : [ \"" + dir + "\" ]"), json.out());
  }
}
