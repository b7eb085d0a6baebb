package dev.plasm.cli;

import dev.plasm.identity.IdentityException;
import dev.plasm.identity.NodeIdentity;
import java.io.PrintWriter;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code plasm identity}: the node's key pair and peer id. */
@Command(
    name = "identity",
    header = "Show the node identity (Ed25519 key and libp2p peer id).",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    subcommands = {IdentityCommand.Show.class})
final class IdentityCommand implements Runnable {
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** {@code plasm identity show}. */
  @Command(
      name = "show",
      header = "Print the peer id and public key, creating the identity on first use.",
      mixinStandardHelpOptions = true,
      versionProvider = Main.Version.class,
      description = {
        "",
        "The identity is an Ed25519 key in $PLASM_HOME/identity.key (default ~/.plasm), mode 0600. It signs receipts, and its peer id names the node on the network. Give the peer id to whoever verifies your receipts: plasm receipt verify --trust PEER_ID. --quiet prints the peer id only.",
        ""
      },
      footer = {"", "Examples:", "  plasm identity show", "  plasm identity show -q"})
  static final class Show implements Callable<Integer> {
    @CommandLine.ParentCommand IdentityCommand parent;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;

    @Mixin OutputOptions output;

    @Override
    public Integer call() {
      Main main = (Main) parent.spec.parent().userObject();
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
