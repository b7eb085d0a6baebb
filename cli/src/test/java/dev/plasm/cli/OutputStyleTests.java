package dev.plasm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.cli.term.Style;
import dev.plasm.cli.term.Tty;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

/**
 * One output style: colour only on a terminal and never with NO_COLOR, --quiet as ids only, tables
 * that gain a column when a daemon sends a new field, errors with a hint line.
 */
class OutputStyleTests {

  record Run(int code, String out, String err) {}

  /** The command line with stdout and stderr as terminals (or not), capturing both. */
  static Run run(Tty tty, Map<String, String> env, String... args) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    Map<String, String> e = new java.util.HashMap<>(env);
    e.putIfAbsent("PLASM_HOME", System.getProperty("java.io.tmpdir") + "/plasm-tests-no-home");
    Streams s = new Streams(new ByteArrayInputStream(new byte[0]), out, err, e, tty);
    int code = Main.commandLine(s, c -> {}).execute(args);
    return new Run(
        code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
  }

  static final Tty TERMINAL = new Tty(false, true, true);

  @Test
  void colourOnlyOnATerminalAndNeverWithNoColor() {
    Run coloured = run(TERMINAL, Map.of(), "engines");
    assertTrue(coloured.out().contains("\033[1mID\033[0m"), coloured.out());
    Run noColor = run(TERMINAL, Map.of("NO_COLOR", "1"), "engines");
    assertFalse(noColor.out().contains("\033"), noColor.out());
    Run dumb = run(TERMINAL, Map.of("TERM", "dumb"), "engines");
    assertFalse(dumb.out().contains("\033"), dumb.out());
    Run piped = run(Tty.NONE, Map.of(), "engines");
    assertFalse(piped.out().contains("\033"), piped.out());
    // The same table, colour aside.
    assertEquals(piped.out(), noColor.out());
  }

  @Test
  void quietPrintsTheIdsOnly() {
    Run r = run(Tty.NONE, Map.of(), "engines", "--quiet");
    assertEquals(0, r.code());
    assertEquals("chicory-compiler\nchicory-interpreter\n", r.out());
    Run id =
        run(
            Tty.NONE,
            Map.of(
                "PLASM_HOME", System.getProperty("java.io.tmpdir") + "/plasm-tests-quiet-identity"),
            "identity",
            "show",
            "-q");
    assertTrue(id.out().matches("12D3KooW[1-9A-HJ-NP-Za-km-z]+\n"), id.out());
  }

  @Test
  void anErrorIsOneLineAndAHint() {
    Run r = run(Tty.NONE, Map.of(), "jobs", "--daemon", "127.0.0.1:1");
    assertEquals(DaemonClient.UNAVAILABLE, r.code());
    assertEquals(
        "plasm: jobs: no daemon at http://127.0.0.1:1\n"
            + "hint: start a daemon with 'plasm daemon', or give the address of one with --daemon HOST:PORT or $PLASM_DAEMON\n",
        r.err());
    Run usage = run(Tty.NONE, Map.of(), "run", "--frobnicate", "x.wasm");
    assertEquals(ExitCodes.USAGE, usage.code());
    assertTrue(usage.err().endsWith("\nhint: see 'plasm run --help'\n"), usage.err());
    Run colour = run(TERMINAL, Map.of(), "jobs", "--daemon", "127.0.0.1:1");
    assertTrue(colour.err().startsWith("\033[31mplasm:\033[0m jobs: no daemon"), colour.err());
  }

  @Test
  void aJobOnATerminalEndsWithOneSummaryLine() {
    Run r = run(TERMINAL, Map.of("NO_COLOR", "1"), "run", Fixture.hello().toString());
    assertEquals(0, r.code());
    assertEquals("Hello from WebAssembly!\n", r.out());
    assertTrue(
        r.err()
            .matches(
                "plasm: hello\\.wasm: completed, exit code 0 \\([0-9.]+ s on chicory-[a-z]+\\)\n"),
        r.err());
    // Not on a pipe, not with --quiet.
    assertEquals("", run(Tty.NONE, Map.of(), "run", Fixture.hello().toString()).err());
    assertEquals("", run(TERMINAL, Map.of(), "run", "-q", Fixture.hello().toString()).err());
  }

  static JsonNode json(String s) {
    return DaemonClient.JSON.readTree(s);
  }

  static <T> String print(dev.plasm.cli.term.Table<T> table, List<T> rows, int width) {
    StringWriter w = new StringWriter();
    table.print(new PrintWriter(w), rows, Style.PLAIN, width);
    return w.toString();
  }

  @Test
  void jobsGainAColumnForWhereAJobRanWhenTheDaemonSaysIt() {
    DaemonJob plain =
        DaemonJob.of(
            json(
                "{\"id\":\"01a2-aa\",\"state\":\"finished\",\"outcome\":{\"kind\":\"completed\",\"exitCode\":0},"
                    + "\"engine\":\"chicory-interpreter\",\"createdAt\":\"2026-12-01T00:00:00Z\"}"));
    String before = print(JobsCommand.table(), List.of(plain), 0);
    assertEquals(
        "ID       STATE     OUTCOME      ENGINE               CREATED\n"
            + "01a2-aa  finished  completed 0  chicory-interpreter  2026-12-01T00:00:00Z\n",
        before);
    DaemonJob remote =
        DaemonJob.of(
            json(
                "{\"id\":\"01a3-bb\",\"state\":\"finished\",\"outcome\":{\"kind\":\"trapped\",\"detail\":\"unreachable\",\"message\":\"unreachable executed\"},"
                    + "\"engineUsed\":{\"id\":\"wasmtime\"},\"executedBy\":[\"12D3KooWQxyzabcdefghijklmnopqrstuvwxyzABCDEFG\"],"
                    + "\"attempts\":[{\"peerId\":\"12D3KooWOther\",\"result\":\"lost\"},{\"peerId\":\"12D3KooWQxyzabcdefghijklmnopqrstuvwxyzABCDEFG\",\"result\":\"ok\"}],"
                    + "\"createdAt\":\"2026-12-01T00:00:01Z\"}"));
    String after = print(JobsCommand.table(), List.of(remote, plain), 0);
    List<String> lines = after.lines().toList();
    assertTrue(
        lines.get(0).matches("ID +STATE +OUTCOME +ENGINE +RAN ON +ATTEMPTS +CREATED"), after);
    assertTrue(
        lines
            .get(1)
            .matches(
                "01a3-bb +finished +trapped unreachable +wasmtime +12D3KooWQxyz…BCDEFG +2 +2026-12-01T00:00:01Z"),
        after);
    assertTrue(
        lines
            .get(2)
            .matches(
                "01a2-aa +finished +completed 0 +chicory-interpreter +- +- +2026-12-01T00:00:00Z"),
        after);
  }

  @Test
  void aJobStateIsColouredByWhatItMeansAsACellAndAsAState() {
    Style colour = Style.of(Map.of(), true);
    String cyan = "\033[36m";
    String green = "\033[32m";
    String yellow = "\033[33m";
    Map<dev.plasm.api.JobState, String> want =
        Map.of(
            dev.plasm.api.JobState.QUEUED, cyan,
            dev.plasm.api.JobState.RUNNING, cyan,
            dev.plasm.api.JobState.FINISHED, green,
            dev.plasm.api.JobState.CANCELLED, yellow,
            dev.plasm.api.JobState.INTERRUPTED, yellow);
    for (dev.plasm.api.JobState s : dev.plasm.api.JobState.values()) {
      String c = want.get(s);
      assertEquals(c + s.id() + "\033[0m", colour.state(s), s::toString);
      // A table cell holding the state's name (padded) gets the same colour.
      assertEquals(c + s.id() + "   \033[0m", colour.state(s.id() + "   "), s::toString);
    }
    assertEquals("finished", Style.PLAIN.state(dev.plasm.api.JobState.FINISHED));
  }

  @Test
  void peersGainCapacityAndReputationColumnsAndFitTheTerminal() {
    JsonNode peer =
        json(
            "{\"peerId\":\"12D3KooWAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA\",\"direction\":\"inbound\","
                + "\"agentVersion\":\"plasm/0.1.0\",\"since\":\"2026-12-01T00:00:00Z\",\"addresses\":[\"/ip4/127.0.0.1/tcp/4001\"],"
                + "\"capacity\":{\"executors\":2,\"free\":1},\"reputation\":{\"score\":0.9,\"jobs\":12}}");
    String wide = print(PeersCommand.table(), List.of(peer), 0);
    assertTrue(
        wide.lines()
            .findFirst()
            .orElseThrow()
            .matches("PEER +DIRECTION +AGENT +SINCE +CAPACITY +REPUTATION +ADDRESS"),
        wide);
    assertTrue(wide.contains("executors=2 free=1") && wide.contains("score=0.9 jobs=12"), wide);
    String narrow = print(PeersCommand.table(), List.of(peer), 150);
    narrow.lines().forEach(l -> assertTrue(l.length() <= 150, "wider than 150: " + l));
    assertTrue(narrow.contains("…"), narrow);
    JsonNode old =
        json(
            "{\"peerId\":\"12D3KooWB\",\"direction\":\"outbound\",\"agentVersion\":\"\",\"since\":\"x\",\"addresses\":[]}");
    assertFalse(print(PeersCommand.table(), List.of(old), 0).contains("CAPACITY"));
  }
}
