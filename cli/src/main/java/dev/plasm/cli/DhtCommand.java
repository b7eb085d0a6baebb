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
import picocli.CommandLine.Model.CommandSpec;
import tools.jackson.databind.JsonNode;

/** {@code plasm dht get|put|provide|find-providers|find-peer}: a daemon's DHT, in the {@code /plasm/} namespace. */
final class DhtCommand implements Runnable {
  private CommandSpec spec;

  /** The command's model and its subcommands', in code (see {@link Specs}). */
  static CommandSpec spec() {
    DhtCommand d = new DhtCommand();
    d.spec =
        Specs.command(d, "dht", "Read and write a daemon's DHT: values, provider records, peers.");
    d.spec
        .usageMessage()
        .description(
            "",
            "Keys are /plasm/<name> (at most 512 bytes of UTF-8). Needs a daemon with [p2p] enabled = true (docs/config.md).",
            "");
    d.spec.addSubcommand("get", new CommandLine(Get.spec()));
    d.spec.addSubcommand("put", new CommandLine(Put.spec()));
    d.spec.addSubcommand("provide", new CommandLine(Provide.spec()));
    d.spec.addSubcommand("find-providers", new CommandLine(FindProviders.spec()));
    d.spec.addSubcommand("find-peer", new CommandLine(FindPeer.spec()));
    return d.spec;
  }

  Main main() {
    return (Main) spec.parent().userObject();
  }

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /** The fields every subcommand has. */
  abstract static class Sub implements Callable<Integer> {
    CommandSpec spec;
    DhtCommand dht;
    DaemonClient.Options client;

    /** A subcommand's model: name, header, footer, the client options; its own are added after. */
    static CommandSpec model(Sub s, String name, String header, String... footer) {
      s.spec = Specs.command(s, name, header);
      s.spec.usageMessage().exitCodeListHeading("%nExit codes:%n").footer(footer);
      return s.spec;
    }

    /** The KEY parameter. */
    static picocli.CommandLine.Model.PositionalParamSpec key() {
      return Specs.positional("0", "1", "KEY", String.class, "A key, /plasm/<name>.");
    }

    /** The key (or peer id) every subcommand takes first. */
    String first() {
      return (String) spec.positionalParameters().get(0).getValue();
    }

    DaemonClient client() {
      return new DaemonClient(client, dht.main().streams.env());
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
      dht = (DhtCommand) spec.parent().userObject();
      client = DaemonClient.Options.of(spec);
      try {
        int code = run();
        out().flush();
        return code;
      } catch (DaemonClient.Failure f) {
        out().flush();
        return P2pCommands.fail(new Printer(spec, dht.main().streams), "dht " + spec.name(), f);
      }
    }

    abstract int run();
  }

  static final class Get extends Sub {
    static CommandSpec spec() {
      CommandSpec s =
          model(
              new Get(),
              "get",
              "Print the value stored under KEY (the raw bytes; --json for base64).",
              "",
              "Example:",
              "  plasm dht get /plasm/greeting");
      s.addPositional(key());
      DaemonClient.Options.addTo(s);
      return s;
    }

    @Override
    int run() {
      JsonNode j = client().getJson("/v1/dht/values/" + P2pCommands.segment(first()));
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
          dht.main().streams.out().write(v);
          dht.main().streams.out().flush();
        } catch (IOException io) {
          throw new DaemonClient.Failure(
              ExitCodes.INTERNAL, "cannot write the value: " + io.getMessage());
        }
      }
      return ExitCodes.OK;
    }
  }

  static final class Put extends Sub {
    static CommandSpec spec() {
      CommandSpec s =
          model(
              new Put(),
              "put",
              "Store a value under KEY on the DHT (given, from --file, or from stdin with -).",
              "",
              "Examples:",
              "  plasm dht put /plasm/greeting 'hello'",
              "  plasm dht put /plasm/config --file settings.json",
              "  echo hi | plasm dht put /plasm/greeting -");
      s.addPositional(key());
      s.addPositional(
          Specs.positional(
              "1",
              "0..1",
              "VALUE",
              String.class,
              "The value as text (UTF-8), or - to read stdin."));
      s.addOption(Specs.option("FILE", Path.class, "Read the value from FILE.", "--file"));
      DaemonClient.Options.addTo(s);
      return s;
    }

    @Override
    int run() {
      String key = first();
      String value = (String) spec.positionalParameters().get(1).getValue();
      Path file = Specs.value(spec, "--file");
      if ((value == null) == (file == null)) {
        throw new CommandLine.ParameterException(
            spec.commandLine(), "give the value as VALUE, - (stdin) or --file FILE, exactly one");
      }
      byte[] bytes;
      try {
        if (file != null) {
          bytes = Files.readAllBytes(file);
        } else if (value.equals("-")) {
          bytes = dht.main().streams.in().readAllBytes();
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

  static final class Provide extends Sub {
    static CommandSpec spec() {
      CommandSpec s =
          model(
              new Provide(),
              "provide",
              "Announce the daemon as a provider of KEY.",
              "",
              "Example:",
              "  plasm dht provide /plasm/module/$(sha256sum hello.wasm | cut -c1-64)");
      s.addPositional(key());
      DaemonClient.Options.addTo(s);
      return s;
    }

    @Override
    int run() {
      JsonNode j = client().postJson("/v1/dht/providers/" + P2pCommands.segment(first()), "");
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

  static final class FindProviders extends Sub {
    static CommandSpec spec() {
      CommandSpec s =
          model(
              new FindProviders(),
              "find-providers",
              "List the peers that provide KEY: one line each, the peer id, then its addresses.",
              "",
              "Example:",
              "  plasm dht find-providers /plasm/module/0123... --max 5");
      s.addPositional(key());
      s.addOption(
          picocli.CommandLine.Model.OptionSpec.builder("--max")
              .paramLabel("N")
              .type(int.class)
              .defaultValue("20")
              .description("At most N providers (1-100). Default: ${DEFAULT-VALUE}.")
              .build());
      DaemonClient.Options.addTo(s);
      return s;
    }

    @Override
    int run() {
      JsonNode j =
          client()
              .getJson(
                  "/v1/dht/providers/"
                      + P2pCommands.segment(first())
                      + "?max="
                      + (int) Specs.value(spec, "--max"));
      return print(
          j,
          out -> {
            java.util.List<JsonNode> providers = new java.util.ArrayList<>();
            j.get("providers").forEach(providers::add);
            if (providers.isEmpty() && !client.quiet) {
              out.println("no providers of " + j.get("key").asString() + " found");
            } else if (!providers.isEmpty()) {
              new Printer(spec, dht.main().streams).table(providers(), providers, client.quiet);
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

  static final class FindPeer extends Sub {
    static CommandSpec spec() {
      CommandSpec s =
          model(
              new FindPeer(),
              "find-peer",
              "Print the addresses of PEER_ID, from the routing table or a DHT lookup.",
              "",
              "Example:",
              "  plasm dht find-peer 12D3KooW...");
      s.addPositional(
          Specs.positional("0", "1", "PEER_ID", String.class, "A peer id, e.g. 12D3KooW..."));
      DaemonClient.Options.addTo(s);
      return s;
    }

    @Override
    int run() {
      JsonNode j = client().getJson("/v1/dht/peers/" + P2pCommands.segment(first()));
      return print(j, out -> j.get("addresses").forEach(a -> out.println(a.asString())));
    }
  }
}
