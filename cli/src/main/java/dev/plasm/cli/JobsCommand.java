package dev.plasm.cli;

import dev.plasm.api.JobState;
import dev.plasm.cli.term.Style;
import dev.plasm.cli.term.Table;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import tools.jackson.databind.JsonNode;

/** {@code plasm jobs}: lists a daemon's jobs, newest first. */
final class JobsCommand implements Callable<Integer> {
  private CommandSpec spec;

  /** The command's model, in code (see {@link Specs}). */
  static CommandSpec spec() {
    JobsCommand c = new JobsCommand();
    c.spec = Specs.command(c, "jobs", "List a daemon's jobs, newest first.");
    java.util.Map<String, String> codes =
        Specs.exitCodes(
            "0:listed",
            "64:bad usage (e.g. an unknown --state)",
            "69:no daemon reachable",
            "77:token missing or wrong");
    c.spec
        .usageMessage()
        .description(
            "",
            "One line per job: its id, state, outcome, the engine that ran it and when it was created; a column for the node that ran it appears when the daemon says. --quiet prints the ids only, --json the daemon's page as it is (docs/http-api.md).",
            "")
        .exitCodeListHeading("%nExit codes:%n")
        .exitCodeList(codes)
        .footer(
            "",
            "Examples:",
            "  plasm jobs",
            "  plasm jobs --state running --limit 10",
            "  plasm jobs -q | xargs -n1 plasm job cancel");
    DaemonClient.Options.addTo(c.spec);
    c.spec.addOption(
        OptionSpec.builder("--limit")
            .paramLabel("N")
            .type(int.class)
            .defaultValue("50")
            .description("At most N jobs (1-1000). Default: ${DEFAULT-VALUE}.")
            .build());
    States states = new States();
    c.spec.addOption(
        OptionSpec.builder("--state")
            .paramLabel("STATE")
            .type(JobState.class)
            .completionCandidates(states)
            .converters(states)
            .description("Only jobs in this state: ${COMPLETION-CANDIDATES}.")
            .build());
    c.spec.addOption(
        Specs.option(
            "ID",
            String.class,
            "Only jobs older than ID (the 'next' of a previous page).",
            "--before"));
    return c.spec;
  }

  /** The states a job can be in, by their names on the wire (the completion and the parser). */
  static final class States extends ArrayList<String>
      implements CommandLine.ITypeConverter<JobState> {
    States() {
      super(Arrays.stream(JobState.values()).map(JobState::id).toList());
    }

    @Override
    public JobState convert(String text) {
      JobState s = JobState.byId(text);
      if (s == null) {
        throw new CommandLine.TypeConversionException(
            "'" + text + "' is not a job state; give one of " + JobState.names());
      }
      return s;
    }
  }

  /**
   * The table: one line per column; a field a daemon adds is one more line. Made when used, so that
   * building the command tree (every command's start) links none of its lambdas.
   */
  static Table<DaemonJob> table() {
    return Table.<DaemonJob>of()
        .column("ID", DaemonJob::id)
        .column("STATE", j -> j.state().id(), Style::state)
        .column("OUTCOME", JobsCommand::outcome, Style::state)
        .column(
            "ENGINE",
            j ->
                j.json().path("engineUsed").has("id")
                    ? j.json().get("engineUsed").get("id").asString()
                    : j.json().path("engine").asString(""))
        .optional("RAN ON", j -> JobProgress.ranOn(j.json()))
        .optional(
            "ATTEMPTS",
            j -> {
              int n = j.json().path("attempts").size();
              return n > 1 ? Integer.toString(n) : null;
            })
        .column("CREATED", j -> j.json().get("createdAt").asString());
  }

  private static String outcome(DaemonJob job) {
    JsonNode j = job.json();
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
    Main main = (Main) spec.parent().userObject();
    DaemonClient.Options client = DaemonClient.Options.of(spec);
    int limit = Specs.value(spec, "--limit");
    JobState state = Specs.value(spec, "--state");
    String before = Specs.value(spec, "--before");
    Printer p = new Printer(spec, main.streams);
    try {
      StringBuilder q = new StringBuilder("/v1/jobs?limit=" + limit);
      if (state != null) q.append("&state=").append(state.id());
      if (before != null)
        q.append("&before=")
            .append(java.net.URLEncoder.encode(before, java.nio.charset.StandardCharsets.UTF_8));
      DaemonClient c = new DaemonClient(client, main.streams.env());
      JsonNode page = c.getJson(q.toString());
      PrintWriter out = p.out();
      if (client.json) {
        out.println(page.toPrettyString());
        out.flush();
        return ExitCodes.OK;
      }
      List<DaemonJob> jobs = new ArrayList<>();
      page.get("jobs").forEach(j -> jobs.add(c.job(j)));
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
