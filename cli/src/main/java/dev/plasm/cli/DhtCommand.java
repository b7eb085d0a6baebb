package dev.plasm.cli;

import dev.plasm.cli.term.Table;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Base64;
import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import tools.jackson.databind.JsonNode;

/** {@code plasm dht get|put|provide|find-providers|find-peer}: a daemon's DHT, in the {@code /plasm/} namespace. */
@Command(
    name = "dht",
    header = "Read and write a daemon's DHT: values, provider records, peers.",
    mixinStandardHelpOptions = true,
    versionProvider = Main.Version.class,
    description = {
      "",
      "Keys are /plasm/<name> (at most 512 bytes of UTF-8). Needs a daemon with [p2p] enabled = true (docs/config.md).",
      ""
    },
    subcommands = {
      DhtCommand.Get.class,
      DhtCommand.Put.class,
      DhtCommand.Provide.class,
      DhtCommand.FindProviders.class,
      DhtCommand.FindPeer.class
    })
final class DhtCommand implements Runnable {
  @CommandLine.ParentCommand Main main;
  @CommandLine.Spec CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The fields every subcommand has. */
  abstract static class Sub implements Callable<Integer> {
    @CommandLine.ParentCommand DhtCommand dht;
    @CommandLine.Spec CommandLine.Model.CommandSpec spec;
    @Mixin DaemonClient.Options client;

    DaemonClient client() {
      return new DaemonClient(client, dht.main.streams.env());
    }

    PrintWriter out() {
      return spec.commandLine().getOut();
    }

    /** Prints the answer as JSON with --json, else as {@code text} writes it. */
    int print(JsonNode j, java.util.function.Consumer<PrintWriter> text) {
      if (client.json) {
        out().println(j.toPrettyString());
      } else {
        text.accept(out());
      }
      return ExitCodes.OK;
    }

    @Override
    public Integer call() {
      try {
        int code = run();
        out().flush();
        return code;
      } catch (DaemonClient.Failure f) {
        out().flush();
        return P2pCommands.fail(new Printer(spec, dht.main.streams), "dht " + spec.name(), f);
      }
    }

    abstract int run();
  }

  @Command(
      name = "get",
      header = "Print the value stored under KEY (the raw bytes; --json for base64).",
      mixinStandardHelpOptions = true,
      versionProvider = Main.Version.class,
      exitCodeListHeading = "%nExit codes:%n",
      footer = {"", "Example:", "  plasm dht get /plasm/greeting"})
  static final class Get extends Sub {
    @Parameters(paramLabel = "KEY", description = "A key, /plasm/<name>.")
    String key;

    @Override
    int run() {
      JsonNode j = client().getJson("/v1/dht/values/" + P2pCommands.segment(key));
      if (client.json) {
        out().println(j.toPrettyString());
        return ExitCodes.OK;
      }
      byte[] v = Base64.getDecoder().decode(j.get("valueBase64").asString());
      try {
        out()
            .print(
                StandardCharsets.UTF_8
                    .newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(v)));
      } catch (CharacterCodingException e) {
        // Not text: the exact bytes, past the writer's charset.
        out().flush();
        try {
          dht.main.streams.out().write(v);
          dht.main.streams.out().flush();
        } catch (IOException io) {
          throw new DaemonClient.Failure(
              ExitCodes.INTERNAL, "cannot write the value: " + io.getMessage());
        }
      }
      return ExitCodes.OK;
    }
  }

  @Command(
      name = "put",
      header = "Store a value under KEY on the DHT (given, from --file, or from stdin with -).",
      mixinStandardHelpOptions = true,
      versionProvider = Main.Version.class,
      exitCodeListHeading = "%nExit codes:%n",
      footer = {
        "",
        "Examples:",
        "  plasm dht put /plasm/greeting 'hello'",
        "  plasm dht put /plasm/config --file settings.json",
        "  echo hi | plasm dht put /plasm/greeting -"
      })
  static final class Put extends Sub {
    @Parameters(index = "0", paramLabel = "KEY", description = "A key, /plasm/<name>.")
    String key;

    @Parameters(
        index = "1",
        arity = "0..1",
        paramLabel = "VALUE",
        description = "The value as text (UTF-8), or - to read stdin.")
    String value;

    @Option(names = "--file", paramLabel = "FILE", description = "Read the value from FILE.")
    Path file;

    @Override
    int run() {
      if ((value == null) == (file == null)) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "give the value as VALUE, - (stdin) or --file FILE, exactly one");
      }
      byte[] bytes;
      try {
        if (file != null) {
          bytes = Files.readAllBytes(file);
        } else if (value.equals("-")) {
          bytes = dht.main.streams.in().readAllBytes();
        } else {
          bytes = value.getBytes(StandardCharsets.UTF_8);
        }
      } catch (NoSuchFileException e) {
        throw new DaemonClient.Failure(ExitCodes.NO_INPUT, "--file " + file + ": no such file");
      } catch (IOException e) {
        throw new DaemonClient.Failure(
            ExitCodes.NO_INPUT, "cannot read the value: " + e.getMessage());
      }
      DaemonClient c = client();
      JsonNode j =
          DaemonClient.JSON.readTree(
              c.request("/v1/dht/values/" + P2pCommands.segment(key))
                  .put("application/octet-stream", bytes)
                  .send());
      return print(
          j,
          out ->
              out.println(
                  "stored "
                      + j.get("key").asString()
                      + " ("
                      + j.get("bytes").asInt()
                      + " bytes) here and on "
                      + j.get("peers").asInt()
                      + " peer(s)"));
    }
  }

  @Command(
      name = "provide",
      header = "Announce the daemon as a provider of KEY.",
      mixinStandardHelpOptions = true,
      versionProvider = Main.Version.class,
      exitCodeListHeading = "%nExit codes:%n",
      footer = {
        "",
        "Example:",
        "  plasm dht provide /plasm/module/$(sha256sum hello.wasm | cut -c1-64)"
      })
  static final class Provide extends Sub {
    @Parameters(paramLabel = "KEY", description = "A key, /plasm/<name>.")
    String key;

    @Override
    int run() {
      JsonNode j = client().postJson("/v1/dht/providers/" + P2pCommands.segment(key), "");
      return print(
          j,
          out ->
              out.println(
                  "announced "
                      + j.get("key").asString()
                      + " to "
                      + j.get("peers").asInt()
                      + " peer(s)"));
    }
  }

  @Command(
      name = "find-providers",
      header = "List the peers that provide KEY: one line each, the peer id, then its addresses.",
      mixinStandardHelpOptions = true,
      versionProvider = Main.Version.class,
      exitCodeListHeading = "%nExit codes:%n",
      footer = {"", "Example:", "  plasm dht find-providers /plasm/module/0123... --max 5"})
  static final class FindProviders extends Sub {
    @Parameters(paramLabel = "KEY", description = "A key, /plasm/<name>.")
    String key;

    @Option(
        names = "--max",
        paramLabel = "N",
        defaultValue = "20",
        description = "At most N providers (1-100). Default: ${DEFAULT-VALUE}.")
    int max;

    @Override
    int run() {
      JsonNode j =
          client().getJson("/v1/dht/providers/" + P2pCommands.segment(key) + "?max=" + max);
      return print(
          j,
          out -> {
            java.util.List<JsonNode> providers = new java.util.ArrayList<>();
            j.get("providers").forEach(providers::add);
            if (providers.isEmpty() && !client.quiet) {
              out.println("no providers of " + j.get("key").asString() + " found");
            } else if (!providers.isEmpty()) {
              new Printer(spec, dht.main.streams).table(providers(), providers, client.quiet);
            }
          });
    }

    /** One line per provider: its peer id, then its addresses (made when used, like every table). */
    static Table<JsonNode> providers() {
      return Table.<JsonNode>of()
          .column("PEER", p -> p.get("peerId").asString())
          .column(
              "ADDRESSES",
              p -> {
                java.util.List<String> a = new java.util.ArrayList<>();
                p.get("addresses").forEach(x -> a.add(x.asString()));
                return String.join(" ", a);
              })
          .shrink();
    }
  }

  @Command(
      name = "find-peer",
      header = "Print the addresses of PEER_ID, from the routing table or a DHT lookup.",
      mixinStandardHelpOptions = true,
      versionProvider = Main.Version.class,
      exitCodeListHeading = "%nExit codes:%n",
      footer = {"", "Example:", "  plasm dht find-peer 12D3KooW..."})
  static final class FindPeer extends Sub {
    @Parameters(paramLabel = "PEER_ID", description = "A peer id, e.g. 12D3KooW...")
    String peerId;

    @Override
    int run() {
      JsonNode j = client().getJson("/v1/dht/peers/" + P2pCommands.segment(peerId));
      return print(j, out -> j.get("addresses").forEach(a -> out.println(a.asString())));
    }
  }
}
