package dev.plasm.cli;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

/** {@code plasm job show|wait|logs|receipt|cancel ID}: one job on a daemon. */
@Command(name = "job", header = "Show, wait for, read or cancel one job on a daemon.", mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    subcommands = {JobCommand.Show.class, JobCommand.Wait.class, JobCommand.Logs.class, JobCommand.ReceiptCmd.class,
      JobCommand.Cancel.class})
final class JobCommand implements Runnable {
  @CommandLine.ParentCommand Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** Copies the new part of a job's stdout and stderr to this process's streams. */
  static final class Output {
    private final DaemonClient c;
    private final String id;
    private final Streams streams;
    private long outDone;
    private long errDone;

    Output(DaemonClient c, String id, Streams streams) {
      this.c = c;
      this.id = id;
      this.streams = streams;
    }

    /** Prints what is new since the last call; true when the job had ended and all was printed. */
    boolean pump() {
      try {
        DaemonClient.Chunk o = c.output(id, "stdout", outDone);
        if (o.bytes().length > 0) {
          streams.out().write(o.bytes());
          streams.out().flush();
        }
        outDone = o.nextOffset();
        DaemonClient.Chunk e = c.output(id, "stderr", errDone);
        if (e.bytes().length > 0) {
          streams.err().write(e.bytes());
          streams.err().flush();
        }
        errDone = e.nextOffset();
        return o.complete() && e.complete();
      } catch (IOException e) {
        throw new DaemonClient.Failure(ExitCodes.INTERNAL, "cannot write the output: " + e.getMessage());
      }
    }
  }

  abstract static class Sub implements Callable<Integer> {
    @CommandLine.ParentCommand JobCommand parent;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin DaemonClient.Options client;
    @Parameters(index = "0", paramLabel = "ID") String id;

    DaemonClient client() {
      return new DaemonClient(client, parent.main.streams.env());
    }

    String path(String sub) {
      return "/v1/jobs/" + java.net.URLEncoder.encode(id, java.nio.charset.StandardCharsets.UTF_8) + sub;
    }

    @Override
    public Integer call() {
      try {
        return run();
      } catch (DaemonClient.Failure f) {
        spec.commandLine().getErr().println("plasm: job " + spec.name() + ": " + f.getMessage());
        spec.commandLine().getErr().flush();
        return f.exitCode;
      }
    }

    abstract int run();

    int print(JsonNode j) {
      PrintWriter out = spec.commandLine().getOut();
      if (client.json) {
        out.println(j.toPrettyString());
      } else {
        out.println("id:       " + j.get("id").asString());
        out.println("state:    " + j.get("state").asString());
        if (j.has("outcome")) {
          String d = DaemonClient.describe(j);
          out.println("outcome:  " + (d == null ? "completed, exit code " + j.get("outcome").get("exitCode").asInt() : d));
        }
        if (j.has("reason")) {
          out.println("reason:   " + j.get("reason").asString());
        }
        out.println("module:   " + j.get("moduleSha256").asString() + " (" + j.get("programName").asString() + ")");
        out.println("created:  " + j.get("createdAt").asString());
        if (j.has("finishedAt")) {
          out.println("finished: " + j.get("finishedAt").asString());
        }
      }
      out.flush();
      return ExitCodes.OK;
    }
  }

  @Command(name = "show", header = "Show a job's state and outcome.", mixinStandardHelpOptions = true)
  static final class Show extends Sub {
    @Override
    int run() {
      return print(client().getJson(path("")));
    }
  }

  @Command(name = "wait", header = "Wait for a job to end; exit like 'plasm run'.", mixinStandardHelpOptions = true)
  static final class Wait extends Sub {
    @Override
    int run() {
      JsonNode j = client().await(id);
      print(j);
      return DaemonClient.exitCode(j);
    }
  }

  @Command(name = "logs", header = "Print a job's stdout (and its stderr on stderr).", mixinStandardHelpOptions = true)
  static final class Logs extends Sub {
    @Option(names = "--follow", description = "Keep printing until the job ends.") boolean follow;

    @Override
    int run() {
      DaemonClient c = client();
      Output o = new Output(c, id, parent.main.streams);
      boolean done = o.pump();
      while (follow && !done) {
        c.getJson(path("/wait?timeout=1s")); // returns at once when the job ends
        done = o.pump();
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "receipt", header = "Print (or save) a finished job's signed receipt.", mixinStandardHelpOptions = true)
  static final class ReceiptCmd extends Sub {
    @Option(names = {"-o", "--output"}, paramLabel = "FILE", description = "Write it to FILE.") Path output;

    @Override
    int run() {
      byte[] r = client().getBytes(path("/receipt"));
      try {
        if (output != null) {
          Files.write(output, r);
        } else {
          parent.main.streams.out().write(r);
          parent.main.streams.out().flush();
        }
      } catch (IOException e) {
        throw new DaemonClient.Failure(ExitCodes.NO_INPUT, "cannot write " + output + ": " + e.getMessage());
      }
      return ExitCodes.OK;
    }
  }

  @Command(name = "cancel", header = "Cancel a queued or running job.", mixinStandardHelpOptions = true)
  static final class Cancel extends Sub {
    @Override
    int run() {
      return print(client().postJson(path("/cancel"), ""));
    }
  }
}
