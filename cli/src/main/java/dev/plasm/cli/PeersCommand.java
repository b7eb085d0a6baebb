package dev.plasm.cli;

import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import tools.jackson.databind.JsonNode;

/** {@code plasm peers}: the daemon's network addresses and the peers it is connected to. */
@Command(name = "peers", header = "List the peers a daemon is connected to, and its own p2p addresses.",
    mixinStandardHelpOptions = true, versionProvider = Main.Version.class,
    description = {"", "Needs a daemon with [p2p] enabled = true (docs/config.md).", ""},
    exitCodeListHeading = "%nExit codes:%n",
    footer = {"", "Examples:", "  plasm peers", "  plasm peers --json --daemon 127.0.0.1:8080"})
final class PeersCommand implements Callable<Integer> {
  @CommandLine.ParentCommand Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;
  @Mixin DaemonClient.Options client;

  @Override
  public Integer call() {
    try {
      JsonNode j = new DaemonClient(client, main.streams.env()).getJson("/v1/peers");
      PrintWriter out = spec.commandLine().getOut();
      if (client.json) {
        out.println(j.toPrettyString());
      } else {
        out.println("peer id:   " + j.get("peerId").asString());
        for (JsonNode a : j.get("listenAddresses")) {
          out.println("listening: " + a.asString());
        }
        out.println();
        JsonNode peers = j.get("peers");
        if (peers.isEmpty()) {
          out.println("no connected peers");
        } else {
          out.printf("%-52s %-9s %-20s %-24s %s%n", "PEER", "DIRECTION", "AGENT", "SINCE", "ADDRESS");
          for (JsonNode p : peers) {
            JsonNode addrs = p.get("addresses");
            out.printf("%-52s %-9s %-20s %-24s %s%n", p.get("peerId").asString(), p.get("direction").asString(),
                p.get("agentVersion").asString().isEmpty() ? "-" : p.get("agentVersion").asString(),
                p.get("since").asString(), addrs.isEmpty() ? "-" : addrs.get(0).asString());
          }
        }
      }
      out.flush();
      return ExitCodes.OK;
    } catch (DaemonClient.Failure f) {
      return P2pCommands.fail(spec, "peers", f);
    }
  }
}
