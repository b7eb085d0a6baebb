package dev.plasm.cli;

import dev.plasm.identity.IdentityException;
import dev.plasm.identity.NodeIdentity;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/** {@code plasm identity}: the node's key pair and peer id. */
final class IdentityCommand implements Runnable {
  private CommandSpec spec;

  /** The command's model and its subcommand's, in code (see {@link Specs}). */
  static CommandSpec spec() {
    IdentityCommand c = new IdentityCommand();
    c.spec =
        Specs.command(c, "identity", "Show the node identity (Ed25519 key and libp2p peer id).");
    c.spec.addSubcommand("show", new CommandLine(Show.spec()));
    return c.spec;
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code plasm identity show}. */
  static final class Show implements Callable<Integer> {
    private CommandSpec spec;

    static CommandSpec spec() {
      Show c = new Show();
      c.spec =
          Specs.command(
              c, "show", "Print the peer id and public key, creating the identity on first use.");
      c.spec
          .usageMessage()
          .description(
              "",
              "The identity is an Ed25519 key in $PLASM_HOME/identity.key (default ~/.plasm), mode 0600. It signs receipts, and its peer id names the node on the network. Give the peer id to whoever verifies your receipts: plasm receipt verify --trust PEER_ID. --quiet prints the peer id only.",
              "")
          .footer("", "Examples:", "  plasm identity show", "  plasm identity show -q");
      OutputOptions.addTo(c.spec);
      return c.spec;
    }

    @Override
    public Integer call() {
      Main main = (Main) spec.parent().parent().userObject();
      OutputOptions output = OutputOptions.of(spec);
      PrintWriter out = spec.commandLine().getOut();
      NodeIdentity id;
      try {
        id = NodeIdentity.loadOrCreate(PlasmPaths.home(main.streams.env()));
      } catch (IdentityException e) {
        return new Printer(spec, main.streams)
            .fail("identity", e.getMessage(), null, ExitCodes.USAGE);
      }
      dev.plasm.cli.term.Style style = new Printer(spec, main.streams).out;
      if (output.json) {
        out.println(
            JsonOutput.identity(
                id.peerId().toString(), id.publicKeyBase64(), id.file().toString()));
      } else if (output.quiet) {
        out.println(id.peerId());
      } else {
        out.println(style.bold("peer id:") + "    " + id.peerId());
        out.println(style.bold("public key:") + " " + id.publicKeyBase64() + " (ed25519, base64)");
        out.println(style.bold("key file:") + "   " + id.file());
      }
      out.flush();
      return ExitCodes.OK;
    }
  }
}
