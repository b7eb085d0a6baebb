package dev.plasm.cli;

import java.util.ArrayList;
import java.util.List;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;
import picocli.CommandLine.Model.PositionalParamSpec;

/**
 * Command specs written in code rather than in annotations: every {@code plasm} command's model is
 * built with these.
 *
 * <p>Why: picocli reads annotations through the JDK's annotation proxies, classes generated at run
 * time by a bytecode generator running cold in the interpreter, one per annotation type; an AOT
 * cache cannot hold them. They cost {@code plasm run hello} about 40 ms of a 150 ms start, and every other command as much. A spec
 * built here gives picocli the same model (same help, same parsing) with no annotation read.
 */
final class Specs {
  private Specs() {}

  /** A command with the standard {@code -h, --help} and {@code -V, --version} options. */
  static CommandSpec command(Object userObject, String name, String header) {
    CommandSpec s = CommandSpec.wrapWithoutInspection(userObject);
    s.name(name);
    s.usageMessage().header(header);
    s.versionProvider(new Main.Version());
    // The same two options (and texts) as picocli's mixinStandardHelpOptions.
    s.addOption(
        OptionSpec.builder("-h", "--help")
            .usageHelp(true)
            .description("Show this help message and exit.")
            .build());
    s.addOption(
        OptionSpec.builder("-V", "--version")
            .versionHelp(true)
            .description("Print version information and exit.")
            .build());
    return s;
  }

  /** An on/off option. */
  static OptionSpec flag(String description, String... names) {
    return OptionSpec.builder(names)
        .arity("0")
        .type(boolean.class)
        .description(description)
        .build();
  }

  /** An option with one value of {@code type}. */
  static OptionSpec option(String label, Class<?> type, String description, String... names) {
    return OptionSpec.builder(names).paramLabel(label).type(type).description(description).build();
  }

  /** A repeatable option collecting values of {@code type}. */
  static OptionSpec.Builder repeatable(
      String label, Class<?> type, String description, String... names) {
    return OptionSpec.builder(names)
        .paramLabel(label)
        .type(List.class)
        .auxiliaryTypes(type)
        .description(description);
  }

  /** A positional parameter at {@code index}; a list when the index is a range. */
  static PositionalParamSpec positional(
      String index, String arity, String label, Class<?> type, String description) {
    boolean many = index.contains("..");
    PositionalParamSpec.Builder b =
        PositionalParamSpec.builder().index(index).paramLabel(label).description(description);
    if (arity != null) {
      b.arity(arity);
    }
    return many ? b.type(List.class).auxiliaryTypes(type).build() : b.type(type).build();
  }

  /** Exit codes for help, from {@code "CODE:meaning"} entries, in order. */
  static java.util.Map<String, String> exitCodes(String... entries) {
    java.util.Map<String, String> codes = new java.util.LinkedHashMap<>();
    for (String e : entries) {
      int colon = e.indexOf(':');
      codes.put(e.substring(0, colon), e.substring(colon + 1));
    }
    return codes;
  }

  /** The values of the list-valued positional parameter at {@code position}, empty when none. */
  static List<String> rest(CommandSpec spec, int position) {
    List<String> v = spec.positionalParameters().get(position).getValue();
    return v == null ? new ArrayList<>() : new ArrayList<>(v);
  }

  /** The parsed value of option {@code name}, or null when it was not given. */
  @SuppressWarnings("unchecked")
  static <T> T value(CommandSpec spec, String name) {
    OptionSpec o = spec.findOption(name);
    return o == null ? null : (T) o.getValue();
  }

  /** Whether flag {@code name} was given. */
  static boolean isSet(CommandSpec spec, String name) {
    Boolean b = value(spec, name);
    return b != null && b;
  }

  /** The values of repeatable option {@code name}, empty when it was not given. */
  static <T> List<T> values(CommandSpec spec, String name) {
    List<T> v = value(spec, name);
    return v == null ? new ArrayList<>() : new ArrayList<>(v);
  }
}
