package dev.plasm.host;

import dev.plasm.api.ConfigurationException;
import dev.plasm.receipt.spi.ReceiptScheme;
import dev.plasm.receipt.spi.ReceiptSchemeProvider;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceConfigurationError;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * The receipt signature schemes this process can use, by id: those in the boot layer and those of
 * the plugins loaded from plugin directories ({@link Plugins}).
 */
public final class ReceiptSchemes {
  /** The scheme used when none is named. */
  public static final String DEFAULT = "ed25519";

  private static final Pattern ID = Pattern.compile("[a-z0-9-]{1,64}");

  private record Entry(ReceiptScheme scheme, String source) {}

  private final Map<String, Entry> schemes;
  private final List<PluginProblem> problems;

  private ReceiptSchemes(Map<String, Entry> schemes, List<PluginProblem> problems) {
    this.schemes = schemes;
    this.problems = List.copyOf(problems);
  }

  /** The schemes in the boot layer only (no plugin directory is read). */
  public static ReceiptSchemes discover() {
    return Plugins.boot().receiptSchemes();
  }

  /** The schemes {@code plugins} provide; the first provider of an id wins. */
  static ReceiptSchemes from(Plugins plugins) {
    Map<String, Entry> found = new TreeMap<>();
    List<PluginProblem> problems = new ArrayList<>();
    for (Plugins.Found<ReceiptSchemeProvider> f :
        plugins.providers(ReceiptSchemeProvider.class, "receipt scheme", problems)) {
      String id;
      ReceiptScheme scheme;
      try {
        ReceiptSchemeProvider p = f.provider().get();
        id = p.id();
        if (id == null || !ID.matcher(id).matches()) {
          problems.add(
              new PluginProblem(
                  f.source(),
                  "receipt scheme provider "
                      + f.where()
                      + " has the id '"
                      + id
                      + "'; an id is 1-64 of a-z 0-9 -"));
          continue;
        }
        scheme = p.create();
      } catch (RuntimeException | ServiceConfigurationError | LinkageError e) {
        problems.add(
            new PluginProblem(
                f.source(),
                "receipt scheme provider "
                    + f.provider().type().getName()
                    + " failed to start: "
                    + e));
        continue;
      }
      Entry existing = found.get(id);
      if (existing != null) {
        problems.add(
            new PluginProblem(
                f.source(),
                "receipt scheme id '"
                    + id
                    + "' from "
                    + f.where()
                    + " is already provided by "
                    + existing.source()
                    + "; this one is ignored"));
        continue;
      }
      found.put(id, new Entry(scheme, f.source()));
    }
    return new ReceiptSchemes(found, problems);
  }

  public Optional<ReceiptScheme> find(String id) {
    return Optional.ofNullable(schemes.get(id)).map(Entry::scheme);
  }

  /**
   * The scheme with that id.
   *
   * @throws ConfigurationException listing the known ids
   */
  public ReceiptScheme require(String id) {
    Entry e = schemes.get(id);
    if (e == null) {
      throw new ConfigurationException(
          "--receipt-scheme",
          "no receipt scheme '" + id + "'; installed: " + String.join(", ", schemes.keySet()));
    }
    return e.scheme();
  }

  /** The ids of the schemes that came from {@code source} (a plugin's path, or {@link Plugins#BOOT}). */
  List<String> ids(String source) {
    return schemes.entrySet().stream()
        .filter(x -> x.getValue().source().equals(source))
        .map(Map.Entry::getKey)
        .toList();
  }

  /** Receipt scheme providers that were refused, each with the reason. */
  public List<PluginProblem> problems() {
    return problems;
  }
}
