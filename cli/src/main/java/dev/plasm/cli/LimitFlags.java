package dev.plasm.cli;

import dev.plasm.api.ConfigurationException;
import dev.plasm.api.Limit;
import dev.plasm.api.LimitValueException;
import java.util.EnumMap;
import java.util.Map;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

/**
 * The limit options of {@code plasm run} and {@code plasm submit}, one per {@link Limit}, made from
 * the limit's own description: a new limit gets its flag without a change here.
 */
final class LimitFlags {
  private LimitFlags() {}

  /**
   * Adds an option per limit to {@code spec}.
   *
   * @param localDefaults true for {@code run} (the default is the limit's), false for {@code submit}
   *     (the node's)
   */
  static void addTo(CommandSpec spec, boolean localDefaults) {
    for (Limit l : Limit.values()) {
      String label =
          switch (l.unit()) {
            case BYTES -> "SIZE";
            case MILLIS -> "DURATION";
            case COUNT -> "N";
          };
      String dflt =
          l.optional() || l == Limit.CPUS
              ? ""
              : localDefaults
                  ? " Default: " + l.format(l.defaultValue()) + "."
                  : " Default: the node's.";
      spec.addOption(
          OptionSpec.builder(l.flag())
              .paramLabel(label)
              .type(String.class)
              .description(l.description() + dflt)
              .build());
    }
  }

  /** The limits given on the command line, checked; errors name the flag. */
  static Map<Limit, Long> requested(CommandSpec spec) {
    Map<Limit, Long> out = new EnumMap<>(Limit.class);
    for (Limit l : Limit.values()) {
      OptionSpec o = spec.findOption(l.flag());
      String v = o == null ? null : o.getValue();
      if (v == null) {
        continue;
      }
      try {
        out.put(l, l.parse(v));
      } catch (LimitValueException e) {
        throw new ConfigurationException(l.flag(), e.messageFor(l.flag()));
      }
    }
    return out;
  }

  /**
   * The flag of a manifest field, for errors decided by admission: {@code limits.timeoutMillis} is
   * {@code --timeout}, {@code engine} is {@code --engine}.
   */
  static String flagOf(String field) {
    if (field.startsWith("limits.")) {
      Limit l = Limit.byJsonName(field.substring(7));
      if (l != null) {
        return l.flag();
      }
    }
    return "--" + field.replaceAll("([A-Z])", "-$1").toLowerCase(java.util.Locale.ROOT);
  }

  /** An admission error as the command line says it: named by its flag. */
  static ConfigurationException asFlagError(ConfigurationException e) {
    if (e instanceof LimitValueException lv) {
      return new ConfigurationException(lv.limit().flag(), lv.messageFor(lv.limit().flag()));
    }
    String flag = flagOf(e.field());
    return new ConfigurationException(flag, flag + ": " + e.getMessage());
  }
}
