package dev.plasm.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.fixtures.Tmux;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The status line while a job runs and the summary line after it: on a real terminal (tmux) they
 * are drawn; on a pipe, with --quiet or --json, nothing of them is printed.
 */
@Timeout(value = 300, unit = TimeUnit.SECONDS)
class StatusLineTests extends OnATerminal {
  static Tmux terminal(String name, List<String> command) throws Exception {
    return terminal(name, 120, 20, command);
  }

  @Test
  void aDaemonJobShowsItsStatusWhileItRunsThenOneSummaryLine() throws Exception {
    // Long enough for the status line to come up on a loaded machine (jline is not in the AOT
    // cache).
    try (Tmux t =
        terminal(
            "daemon",
            Fixture.plasmCommand("submit", "--wait", "probe.wasm", "--", "sleep", "10"))) {
      String during =
          t.await(
              "the status line",
              s ->
                  s.contains("running")
                      && s.contains("probe.wasm")
                      && s.contains("chicory-interpreter")
                      && s.contains("out 0 B, err 0 B"));
      assertTrue(
          Tmux.lastLine(during)
              .matches(".*running  probe\\.wasm  [0-9.]+ s  chicory-interpreter  out 0 B, err 0 B"),
          during);
      String after = t.await("[exited 0]");
      assertTrue(after.contains("slept"), after);
      assertTrue(after.contains("plasm: probe.wasm: completed, exit code 0 ("), after);
      assertTrue(after.contains("on chicory-interpreter; job "), after);
      assertFalse(after.contains("running"), "the status line is gone:\n" + after);
    }
  }

  @Test
  void aLocalJobShowsItsStatusAndTheSummarySaysWhyItEnded() throws Exception {
    // The interpreter cannot be interrupted in this loop: plasm ends its own process at the
    // deadline,
    // and the status line must be gone before it does.
    try (Tmux t =
        terminal(
            "local",
            Fixture.plasmCommand(
                "run", "--engine", "chicory-interpreter", "--timeout", "12s", "loop.wasm"))) {
      t.await(
          "the status line",
          s -> s.contains("running  loop.wasm") && s.contains("chicory-interpreter"));
      String after = t.await("[exited 124]");
      assertTrue(
          after.contains(
              "plasm: loop.wasm: limit exceeded (wall-time): the job ran past its 12s wall-clock limit (--timeout) ("),
          after);
      assertFalse(after.contains("running  loop.wasm"), "the status line is gone:\n" + after);
    }
  }

  @Test
  void quietAndJsonShowNeitherStatusNorSummaryOnATerminal() throws Exception {
    try (Tmux t =
        terminal(
            "quiet",
            Fixture.plasmCommand(
                "submit", "--wait", "--quiet", "probe.wasm", "--", "sleep", "2"))) {
      String s = t.await("[exited 0]");
      assertTrue(s.contains("slept"), s);
      assertFalse(s.contains("plasm: probe.wasm"), s);
    }
    // The JSON document is ~30 lines: a screen tall enough to hold it whole, or its first lines
    // scroll off.
    try (Tmux t =
        terminal(
            "json",
            120,
            60,
            Fixture.plasmCommand("run", "--json", "probe.wasm", "--", "sleep", "2"))) {
      String s = t.await("[exited 0]");
      assertTrue(s.contains("\"stdout\" : \"slept\\n\""), s);
      assertFalse(s.contains("plasm: probe.wasm"), s);
    }
  }

  @Test
  void aModuleUploadMovesTheBarAndArrivesWhole() throws Exception {
    // probe.wasm with a 3 MiB custom section: a module that takes 48 chunks to upload.
    byte[] probe = Files.readAllBytes(work.resolve("probe.wasm"));
    int payload = 3 << 20;
    java.io.ByteArrayOutputStream big = new java.io.ByteArrayOutputStream();
    big.write(probe);
    big.write(0); // custom section
    int size = payload + 2; // name length byte + "x" + payload
    for (int v = size; ; v >>>= 7) { // LEB128
      big.write(v >= 0x80 ? (v & 0x7f) | 0x80 : v);
      if (v < 0x80) {
        break;
      }
    }
    big.write(1);
    big.write('x');
    big.write(new byte[payload]);
    byte[] module = big.toByteArray();
    // stderr "is" a terminal: the status line is live (it cannot be drawn here: the tests' stdin is
    // not a terminal), so the upload goes in chunks and reports them.
    Streams streams =
        new Streams(
            java.io.InputStream.nullInputStream(),
            new java.io.ByteArrayOutputStream(),
            new java.io.ByteArrayOutputStream(),
            Map.of("NO_COLOR", "1"),
            new dev.plasm.cli.term.Tty(false, false, true));
    Printer printer = new Printer(picocli.CommandLine.Model.CommandSpec.create(), streams);
    try (JobProgress live = JobProgress.start(printer, streams, true, "big.wasm")) {
      assertTrue(live.live());
      DaemonClient c = new DaemonClient(new DaemonClient.Options(), daemon.env());
      tools.jackson.databind.JsonNode r = Upload.module(c, module, "big.wasm", live);
      assertEquals(
          java.util.HexFormat.of()
              .formatHex(java.security.MessageDigest.getInstance("SHA-256").digest(module)),
          r.get("sha256").asString());
      assertEquals(module.length, r.get("bytes").asLong());
      assertTrue(
          live.line().matches(". uploading  big\\.wasm  \\[#{20}\\] 100%  3\\.0 MiB of 3\\.0 MiB"),
          live.line());
    }
  }

  @Test
  void onAPipeNothingButTheOutputIsPrinted() throws Exception {
    // On the terminal, with both streams piped: the screen shows only what cat passed on.
    List<String> piped = new ArrayList<>(List.of("sh", "-c", "\"$@\" 2>&1 | cat", "plasm"));
    piped.addAll(Fixture.plasmCommand("submit", "--wait", "probe.wasm", "--", "sleep", "3"));
    try (Tmux t = terminal("pipe", piped)) {
      Thread.sleep(2000); // the job is running
      assertFalse(t.screen().contains("running"), t.screen());
      String s = t.await("[exited 0]");
      assertTrue(s.contains("slept"), s);
      assertFalse(s.contains("running") || s.contains("plasm: probe.wasm"), s);
    }
    // And byte for byte: the guest's output, nothing else, no escape sequence.
    List<String> cmd = Fixture.plasmCommand("submit", "--wait", "probe.wasm", "--", "sleep", "2");
    ProcessBuilder pb =
        new ProcessBuilder(cmd)
            .directory(work.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
    pb.environment().putAll(daemon.env());
    Path out = tmp.resolve("pipe-out.txt");
    Path err = tmp.resolve("pipe-err.txt");
    Process p = pb.redirectOutput(out.toFile()).redirectError(err.toFile()).start();
    assertTrue(p.waitFor(120, TimeUnit.SECONDS));
    assertEquals(0, p.exitValue());
    assertEquals("", Files.readString(err, StandardCharsets.UTF_8));
    assertEquals("slept\n", Files.readString(out, StandardCharsets.UTF_8));
  }
}
