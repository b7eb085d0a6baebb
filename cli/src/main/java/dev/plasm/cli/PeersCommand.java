package dev.plasm.cli;

import dev.plasm.cli.term.Table;
import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import picocli.CommandLine.Model.CommandSpec;
import tools.jackson.databind.JsonNode;

/** {@code plasm peers}: the daemon's network addresses and the peers it is connected to. */
final class PeersCommand implements Callable<Integer> {
  private CommandSpec spec;

  /** The command's model, in code (see {@link Specs}). */
  static CommandSpec spec() {
    PeersCommand c = new PeersCommand();
    c.spec =
        Specs.command(
            c, "peers", "List the peers a daemon is connected to, and its own p2p addresses.");
    c.spec
        .usageMessage()
        .description(
            "",
            "Needs a daemon with [p2p] enabled = true (docs/config.md). Prints the daemon's peer id, listen addresses and whether peers can dial it (AutoNAT; its relayed addresses while it is not reachable), then one line per connected peer; columns for a peer's capacity and reputation appear when the daemon reports them. --quiet prints the peer ids only.",
            "")
        .exitCodeListHeading("%nExit codes:%n")
        .footer("", "Examples:", "  plasm peers", "  plasm peers --json --daemon 127.0.0.1:8080");
    DaemonClient.Options.addTo(c.spec);
    return c.spec;
  }

  /**
   * The table: one line per column; a field a daemon adds is one more line. Made when used, so that
   * building the command tree (every command's start) links none of its lambdas.
   */
  static Table<JsonNode> table() {
    return Table.<JsonNode>of()
        .column("PEER", p -> p.get("peerId").asString())
        .column("DIRECTION", p -> p.get("direction").asString())
        .column("AGENT", p -> p.path("agentVersion").asString(""))
        .shrink()
        .column("SINCE", p -> p.path("since").asString(""))
        .optional("CAPACITY", p -> compact(p.get("capacity")))
        .optional("REPUTATION", p -> compact(p.get("reputation")))
        .column(
            "ADDRESS",
            p -> p.path("addresses").isEmpty() ? "" : p.get("addresses").get(0).asString())
        .shrink();
  }

  /** An object as {@code key=value key=value}, a value as itself; null for none. */
  static String compact(JsonNode n) {
    if (n == null || n.isNull() || n.isMissingNode()) {
      return null;
    }
    if (!n.isObject()) {
      return n.isString() ? n.asString() : n.toString();
    }
    List<String> parts = new ArrayList<>();
    for (Map.Entry<String, JsonNode> e : n.properties()) {
      JsonNode v = e.getValue();
      parts.add(e.getKey() + "=" + (v.isString() ? v.asString() : v.toString()));
    }
    return String.join(" ", parts);
  }

  /** The AutoNAT verdict in words: whether peers can dial this node, and how it is reached otherwise. */
  private static String reachability(JsonNode r) {
    return switch (r.get("status").asString()) {
      case "public" ->
          "yes (peers dialed it back"
              + (r.get("reachableAddresses").isEmpty()
                  ? ""
                  : " at " + r.get("reachableAddresses").get(0).asString())
              + ")";
      case "private" ->
          "no (behind a NAT or firewall; "
              + (r.get("relayAddresses").isEmpty()
                  ? "no relay reservation yet)"
                  : "reached through relays)");
      default -> "not known (fewer than 2 peers answered AutoNAT so far, or p2p.autonat is off)";
    };
  }

  @Override
  public Integer call() {
    Main main = (Main) spec.parent().userObject();
    DaemonClient.Options client = DaemonClient.Options.of(spec);
    Printer printer = new Printer(spec, main.streams);
    try {
      JsonNode j = new DaemonClient(client, main.streams.env()).getJson("/v1/peers");
      PrintWriter out = printer.out();
      List<JsonNode> peers = new ArrayList<>();
      j.get("peers").forEach(peers::add);
      if (client.json) {
        out.println(j.toPrettyString());
      } else if (client.quiet) {
        table().printFirstColumn(out, peers);
      } else {
        out.println(printer.out.bold("peer id:") + "   " + j.get("peerId").asString());
        for (JsonNode a : j.get("listenAddresses")) {
          out.println(printer.out.bold("listening:") + " " + a.asString());
        }
        JsonNode reach = j.get("reachability");
        if (reach != null) {
          out.println(printer.out.bold("reachable:") + " " + reachability(reach));
          for (JsonNode a : reach.get("relayAddresses")) {
            out.println(printer.out.bold("relayed:") + "   " + a.asString());
          }
        }
        out.println();
        if (peers.isEmpty()) {
          out.println("no connected peers");
        } else {
          printer.table(table(), peers, false);
        }
      }
      out.flush();
      return ExitCodes.OK;
    } catch (DaemonClient.Failure f) {
      return P2pCommands.fail(printer, "peers", f);
    }
  }
}
