package dev.plasm.cli;

import dev.plasm.api.ExecutionOutcome;
import dev.plasm.cli.term.Style;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ObjectNode;

/** {@code plasm job show|wait|logs|receipt|cancel ID}: one job on a daemon. */
final class JobCommand implements Runnable {
  private CommandSpec spec;

  /** The command's model and its subcommands', in code (see {@link Specs}). */
  static CommandSpec spec() {
    JobCommand c = new JobCommand();
    c.spec = Specs.command(c, "job", "Show, wait for, read or cancel one job on a daemon.");
    c.spec
        .usageMessage()
        .description(
            "", "ID is a job id as 'plasm submit' printed it or 'plasm jobs' lists it.", "");
    for (CommandSpec sub :
        List.of(Show.spec(), Wait.spec(), Logs.spec(), ReceiptCmd.spec(), Cancel.spec())) {
      c.spec.addSubcommand(sub.name(), new CommandLine(sub));
    }
    return c.spec;
  }

  Main main() {
    return (Main) spec.parent().userObject();
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Copies the new part of a job's stdout and stderr to two streams. */
  static final class Output {
    private final DaemonClient c;
    private final String id;
    private final OutputStream out;
    private final OutputStream err;
    private long outDone;
    private long errDone;

    Output(DaemonClient c, String id, OutputStream out, OutputStream err) {
      this.c = c;
      this.id = id;
      this.out = out;
      this.err = err;
    }

    /** Prints what is new since the last call; true when the job had ended and all was printed. */
    boolean pump() {
      try {
        DaemonClient.Chunk o = c.output(id, "stdout", outDone);
        if (o.bytes().length > 0) {
          out.write(o.bytes());
          out.flush();
        }
        outDone = o.nextOffset();
        DaemonClient.Chunk e = c.output(id, "stderr", errDone);
        if (e.bytes().length > 0) {
          err.write(e.bytes());
          err.flush();
        }
        errDone = e.nextOffset();
        return o.complete() && e.complete();
      } catch (IOException e) {
        throw new DaemonClient.Failure(
            ExitCodes.INTERNAL, "cannot write the output: " + e.getMessage());
      }
    }
  }

  /** Cancels a job on Ctrl-C, within a few seconds whatever the daemon does, and says so on stderr. */
  static void cancelQuietly(DaemonClient c, String id, Printer printer) {
    try {
      c.request("/v1/jobs/" + id + "/cancel")
          .timeout(Duration.ofSeconds(3))
          .post(null, null)
          .send();
      printer.err().println("plasm: cancelled job " + id);
    } catch (DaemonClient.Failure f) {
      printer.err().println("plasm: could not cancel job " + id + ": " + f.getMessage());
    }
    printer.err().flush();
  }

  abstract static class Sub implements Callable<Integer> {
    CommandSpec spec;
    JobCommand parent;
    DaemonClient.Options client;
    String id;

    /** A subcommand's model: name, header, description, footer, ID and the client options. */
    static CommandSpec model(
        Sub s, String name, String header, String[] description, String... footer) {
      s.spec = Specs.command(s, name, header);
      s.spec.usageMessage().description(description).footer(footer);
      s.spec.addPositional(
          Specs.positional("0", null, "ID", String.class, "The job's id (see 'plasm jobs')."));
      DaemonClient.Options.addTo(s.spec);
      return s.spec;
    }

    DaemonClient client() {
      return new DaemonClient(client, parent.main().streams.env());
    }

    Printer printer() {
      return new Printer(spec, parent.main().streams);
    }

    String path(String sub) {
      return "/v1/jobs/"
          + java.net.URLEncoder.encode(id, java.nio.charset.StandardCharsets.UTF_8)
          + sub;
    }

    @Override
    public Integer call() {
      parent = (JobCommand) spec.parent().userObject();
      client = DaemonClient.Options.of(spec);
      id = (String) spec.positionalParameters().get(0).getValue();
      try {
        return run();
      } catch (DaemonClient.Failure f) {
        return printer().fail("job " + spec.name(), f);
      }
    }

    abstract int run();

    /** Prints a job the daemon answered with: as it is with --json (whatever its state), else read. */
    int print(DaemonClient c, JsonNode answer) {
      if (client.json) {
        PrintWriter out = printer().out();
        out.println(answer.toPrettyString());
        out.flush();
        return ExitCodes.OK;
      }
      return print(c.job(answer));
    }

    int print(DaemonJob j) {
      Printer p = printer();
      PrintWriter out = p.out();
      if (client.json) {
        out.println(j.json().toPrettyString());
      } else if (client.quiet) {
        out.println(j.state().id());
      } else {
        List<String[]> rows = fields(j, p.out);
        int width = rows.stream().mapToInt(r -> r[0].length() + 1).max().orElse(0);
        for (String[] row : rows) {
          out.println(p.out.bold(String.format("%-" + width + "s", row[0] + ":")) + " " + row[1]);
        }
      }
      out.flush();
      return ExitCodes.OK;
    }

    /** What {@code show} prints, one field per line: fields a daemon does not send are left out. */
    private static List<String[]> fields(DaemonJob job, Style style) {
      JsonNode j = job.json();
      List<String[]> rows = new ArrayList<>();
      rows.add(new String[] {"id", job.id()});
      rows.add(new String[] {"state", style.state(job.state())});
      if (job.outcome() != null) {
        String d = job.describe();
        int exit = job.outcome() instanceof ExecutionOutcome.Completed c ? c.exitCode() : 0;
        rows.add(
            new String[] {
              "outcome",
              d != null
                  ? style.red(d)
                  : exit == 0
                      ? style.green("completed, exit code 0")
                      : style.yellow("completed, exit code " + exit)
            });
      }
      if (j.has("reason")) {
        rows.add(new String[] {"reason", j.get("reason").asString()});
      }
      rows.add(
          new String[] {
            "module",
            j.get("moduleSha256").asString() + " (" + j.path("programName").asString("") + ")"
          });
      JsonNode used = j.path("engineUsed");
      String engine =
          used.has("id")
              ? used.get("id").asString() + " " + used.path("version").asString("")
              : j.path("engine").asString("");
      if (!engine.isBlank()) {
        rows.add(new String[] {"engine", engine.strip()});
      }
      if (j.has("placement")) {
        rows.add(
            new String[] {
              "placement",
              j.get("placement").asString()
                  + (j.path("redundancy").asInt(1) > 1
                      ? ", redundancy " + j.get("redundancy").asInt()
                      : "")
            });
      }
      List<String> ranOn = new ArrayList<>();
      j.path("executedBy")
          .forEach(x -> ranOn.add(x.asString())); // whole ids: for receipt verify --trust
      if (!ranOn.isEmpty()) {
        rows.add(new String[] {"ran on", String.join(", ", ranOn)});
      }
      int n = 0;
      for (JsonNode a : j.path("attempts")) {
        String detail = a.path("detail").asString("");
        rows.add(
            new String[] {
              "attempt " + ++n,
              a.path("peerId").asString("")
                  + ": "
                  + a.path("result").asString("")
                  + (detail.isEmpty() ? "" : " (" + detail + ")")
                  + ", "
                  + a.path("startedAt").asString("")
            });
      }
      rows.add(new String[] {"created", j.get("createdAt").asString()});
      if (j.has("finishedAt")) {
        rows.add(new String[] {"finished", j.get("finishedAt").asString()});
      }
      return rows;
    }
  }

  static final class Show extends Sub {
    static CommandSpec spec() {
      return model(
          new Show(),
          "show",
          "Show a job's state and outcome.",
          new String[0],
          "",
          "Example:",
          "  plasm job show 019a4f5e2b10-8c1d2e3f4a5b6c7d");
    }

    @Override
    int run() {
      DaemonClient c = client();
      return print(c, c.getJson(path("")));
    }
  }

  static final class Wait extends Sub {
    static CommandSpec spec() {
      return model(
          new Wait(),
          "wait",
          "Wait for a job to end; exit like 'plasm run'.",
          new String[] {
            "",
            "On a terminal a status line shows the job while it runs. Ctrl-C stops waiting; the job goes on (cancel it with 'plasm job cancel').",
            ""
          },
          "",
          "Example:",
          "  plasm job wait 019a4f5e2b10-8c1d2e3f4a5b6c7d && echo done");
    }

    @Override
    int run() {
      DaemonClient c = client();
      Printer p = printer();
      DaemonJob j = c.job(path(""));
      try (JobProgress live =
          JobProgress.start(
              p,
              parent.main().streams,
              p.interactive(client.json, client.quiet),
              j.json().path("programName").asString(id))) {
        live.job(j);
        while (!j.terminal()) {
          // Short polls while a status line is up, so it follows the job; one long poll otherwise.
          j = live.live() ? c.job(path("/wait?timeout=1s")) : c.await(id);
          live.job(j);
        }
      }
      print(j);
      return j.exitCode();
    }
  }

  static final class Logs extends Sub {
    static CommandSpec spec() {
      CommandSpec s =
          model(
              new Logs(),
              "logs",
              "Print a job's stdout (and its stderr on stderr).",
              new String[] {
                "",
                "With --json, prints {id, stdout, stderr, complete} once, with the output as text (UTF-8).",
                ""
              },
              "",
              "Examples:",
              "  plasm job logs 019a4f5e2b10-8c1d2e3f4a5b6c7d > out.txt",
              "  plasm job logs --follow 019a4f5e2b10-8c1d2e3f4a5b6c7d");
      s.addOption(
          Specs.flag(
              "Keep printing as the job writes, until it ends (a status line shows it on a terminal).",
              "--follow"));
      return s;
    }

    @Override
    int run() {
      DaemonClient c = client();
      Streams streams = parent.main().streams;
      if (client.json) {
        return logsAsJson(c);
      }
      Printer p = printer();
      boolean follow = Specs.isSet(spec, "--follow");
      DaemonJob j = follow ? c.job(path("")) : null;
      try (JobProgress live =
          JobProgress.start(
              p,
              streams,
              follow && p.interactive(false, client.quiet),
              j == null ? id : j.json().path("programName").asString(id))) {
        if (j != null) {
          live.job(j);
        }
        Output o = new Output(c, id, live.stdout(streams.out()), live.stderr(streams.err()));
        boolean done = o.pump();
        while (follow && !done) {
          live.job(c.job(path("/wait?timeout=1s"))); // returns at once when the job ends
          done = o.pump();
        }
      }
      return ExitCodes.OK;
    }

    private int logsAsJson(DaemonClient c) {
      DaemonClient.Chunk out = c.output(id, "stdout", 0);
      DaemonClient.Chunk err = c.output(id, "stderr", 0);
      ObjectNode n = DaemonClient.JSON.createObjectNode();
      n.put("id", id);
      n.put("stdout", new String(out.bytes(), java.nio.charset.StandardCharsets.UTF_8));
      n.put("stderr", new String(err.bytes(), java.nio.charset.StandardCharsets.UTF_8));
      n.put("complete", out.complete() && err.complete());
      PrintWriter w = spec.commandLine().getOut();
      w.println(n.toPrettyString());
      w.flush();
      return ExitCodes.OK;
    }
  }

  static final class ReceiptCmd extends Sub {
    static CommandSpec spec() {
      CommandSpec s =
          model(
              new ReceiptCmd(),
              "receipt",
              "Print (or save) a finished job's signed receipt.",
              new String[] {
                "", "The receipt is JSON already (docs/receipts.md); --json changes nothing.", ""
              },
              "",
              "Example:",
              "  plasm job receipt -o r.json 019a4f5e2b10-8c1d2e3f4a5b6c7d");
      s.addOption(
          Specs.option(
              "FILE",
              Path.class,
              "Write the receipt to FILE instead of stdout.",
              "-o",
              "--output"));
      return s;
    }

    @Override
    int run() {
      byte[] r = client().getBytes(path("/receipt"));
      Path output = Specs.value(spec, "--output");
      try {
        if (output != null) {
          Files.write(output, r);
        } else {
          parent.main().streams.out().write(r);
          parent.main().streams.out().flush();
        }
      } catch (IOException e) {
        throw new DaemonClient.Failure(
            ExitCodes.NO_INPUT, "cannot write " + output + ": " + e.getMessage());
      }
      return ExitCodes.OK;
    }
  }

  static final class Cancel extends Sub {
    static CommandSpec spec() {
      return model(
          new Cancel(),
          "cancel",
          "Cancel a queued or running job.",
          new String[0],
          "",
          "Example:",
          "  plasm job cancel 019a4f5e2b10-8c1d2e3f4a5b6c7d");
    }

    @Override
    int run() {
      DaemonClient c = client();
      return print(c, c.postJson(path("/cancel"), ""));
    }
  }
}
