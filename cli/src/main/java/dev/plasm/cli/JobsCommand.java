package dev.plasm.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import tools.jackson.databind.JsonNode;

/** {@code plasm jobs}: lists a daemon's jobs, newest first. */
@Command(name = "jobs", header = "List a daemon's jobs, newest first.", mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class)
final class JobsCommand implements Callable<Integer> {
  @CommandLine.ParentCommand Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @Mixin DaemonClient.Options client;

  @Option(names = "--limit", paramLabel = "N", description = "At most N jobs (1-1000). Default: ${DEFAULT-VALUE}.", defaultValue = "50") int limit;
  @Option(names = "--state", paramLabel = "STATE", description = "Only queued, running, finished, cancelled or interrupted jobs.") String state;
  @Option(names = "--before", paramLabel = "ID", description = "Jobs older than ID (the 'next' of a previous page).") String before;

  @Override
  public Integer call() {
    try {
      StringBuilder q = new StringBuilder("/v1/jobs?limit=" + limit);
      if (state != null) q.append("&state=").append(java.net.URLEncoder.encode(state, java.nio.charset.StandardCharsets.UTF_8));
      if (before != null) q.append("&before=").append(java.net.URLEncoder.encode(before, java.nio.charset.StandardCharsets.UTF_8));
      JsonNode page = new DaemonClient(client, main.streams.env()).getJson(q.toString());
      PrintWriter out = spec.commandLine().getOut();
      if (client.json) {
        out.println(page.toPrettyString());
      } else {
        out.printf("%-29s %-12s %-22s %s%n", "ID", "STATE", "OUTCOME", "CREATED");
        for (JsonNode j : page.get("jobs")) {
          String outcome = "";
          if (j.has("outcome")) {
            JsonNode o = j.get("outcome");
            outcome = o.get("kind").asString() + (o.has("exitCode") ? " " + o.get("exitCode").asInt()
                : o.has("detail") ? " " + o.get("detail").asString() : "");
          }
          out.printf("%-29s %-12s %-22s %s%n", j.get("id").asString(), j.get("state").asString(), outcome,
              j.get("createdAt").asString());
        }
        if (page.has("next")) {
          out.println("(more: plasm jobs --before " + page.get("next").asString() + ")");
        }
      }
      out.flush();
      return ExitCodes.OK;
    } catch (DaemonClient.Failure f) {
      spec.commandLine().getErr().println("plasm: jobs: " + f.getMessage());
      spec.commandLine().getErr().flush();
      return f.exitCode;
    }
  }
}
