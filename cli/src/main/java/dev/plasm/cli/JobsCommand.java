package dev.plasm.cli;

import dev.plasm.cli.term.Style;
import dev.plasm.cli.term.Table;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;

/** {@code plasm jobs}: lists a daemon's jobs, newest first. */
@Command(
    name = "jobs",
    header = "List a daemon's jobs, newest first.",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "",
      "One line per job: its id, state, outcome, the engine that ran it and when it was created; a column for the node that ran it appears when the daemon says. --quiet prints the ids only, --json the daemon's page as it is (docs/http-api.md).",
      ""
    },
    exitCodeListHeading = "%nExit codes:%n",
    exitCodeList = {
      "0:listed",
      "64:bad usage (e.g. an unknown --state)",
      "69:no daemon reachable",
      "77:token missing or wrong"
    },
    footer = {
      "",
      "Examples:",
      "  plasm jobs",
      "  plasm jobs --state running --limit 10",
      "  plasm jobs -q | xargs -n1 plasm job cancel"
    })
final class JobsCommand implements Callable<Integer> {
  @CommandLine.ParentCommand Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @Mixin DaemonClient.Options client;

  @Option(
      names = "--limit",
      paramLabel = "N",
      description = "At most N jobs (1-1000). Default: ${DEFAULT-VALUE}.",
      defaultValue = "50")
  int limit;

  @Option(
      names = "--state",
      paramLabel = "STATE",
      completionCandidates = States.class,
      description = "Only jobs in this state: queued, running, finished, cancelled or interrupted.")
  String state;

  @Option(
      names = "--before",
      paramLabel = "ID",
      description = "Only jobs older than ID (the 'next' of a previous page).")
  String before;

  /** The states a job can be in. */
  static final class States extends ArrayList<String> {
    States() {
      super(List.of("queued", "running", "finished", "cancelled", "interrupted"));
    }
  }

  /**
   * The table: one line per column; a field a daemon adds is one more line. Made when used, so that
   * building the command tree (every command's start) links none of its lambdas.
   */
  static Table<JsonNode> table() {
    return Table.<JsonNode>of()
        .column("ID", j -> j.get("id").asString())
        .column("STATE", j -> j.get("state").asString(), Style::state)
        .column("OUTCOME", JobsCommand::outcome, Style::state)
        .column(
            "ENGINE",
            j ->
                j.path("engineUsed").has("id")
                    ? j.get("engineUsed").get("id").asString()
                    : j.path("engine").asString(""))
        .optional("RAN ON", JobProgress::ranOn)
        .optional(
            "ATTEMPTS",
            j -> j.path("attempts").size() > 1 ? Integer.toString(j.get("attempts").size()) : null)
        .column("CREATED", j -> j.get("createdAt").asString());
  }

  private static String outcome(JsonNode j) {
    if (!j.has("outcome")) {
      return "";
    }
    JsonNode o = j.get("outcome");
    return o.get("kind").asString()
        + (o.has("exitCode")
            ? " " + o.get("exitCode").asInt()
            : o.has("detail") ? " " + o.get("detail").asString() : "");
  }

  @Override
  public Integer call() {
    Printer p = new Printer(spec, main.streams);
    try {
      StringBuilder q = new StringBuilder("/v1/jobs?limit=" + limit);
      if (state != null)
        q.append("&state=")
            .append(java.net.URLEncoder.encode(state, java.nio.charset.StandardCharsets.UTF_8));
      if (before != null)
        q.append("&before=")
            .append(java.net.URLEncoder.encode(before, java.nio.charset.StandardCharsets.UTF_8));
      JsonNode page = new DaemonClient(client, main.streams.env()).getJson(q.toString());
      PrintWriter out = p.out();
      if (client.json) {
        out.println(page.toPrettyString());
        out.flush();
        return ExitCodes.OK;
      }
      List<JsonNode> jobs = new ArrayList<>();
      page.get("jobs").forEach(jobs::add);
      p.table(table(), jobs, client.quiet);
      if (page.has("next") && !client.quiet) {
        out.println(p.out.dim("(more: plasm jobs --before " + page.get("next").asString() + ")"));
        out.flush();
      }
      return ExitCodes.OK;
    } catch (DaemonClient.Failure f) {
      return p.fail("jobs", f);
    }
  }
}
