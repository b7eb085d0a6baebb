package dev.plasm.host;

import dev.plasm.api.ConfigurationException;
import dev.plasm.receipt.spi.ReceiptScheme;
import dev.plasm.receipt.spi.ReceiptSchemeProvider;
import java.util.Map;
import java.util.Optional;
import java.util.ServiceLoader;
import java.util.TreeMap;

/** The receipt signature schemes this process can use, by id. */
public final class ReceiptSchemes {
  /** The scheme used when none is named. */
  public static final String DEFAULT = "ed25519";

  private final Map<String, ReceiptScheme> schemes;

  private ReceiptSchemes(Map<String, ReceiptScheme> schemes) {
    this.schemes = schemes;
  }

  /** Finds the schemes in the boot layer; the first provider of an id wins. */
  public static ReceiptSchemes discover() {
    Map<String, ReceiptScheme> found = new TreeMap<>();
    for (ReceiptSchemeProvider p : ServiceLoader.load(ReceiptSchemeProvider.class, ReceiptSchemes.class.getClassLoader())) {
      found.putIfAbsent(p.id(), p.create());
    }
    return new ReceiptSchemes(found);
  }

  public Optional<ReceiptScheme> find(String id) {
    return Optional.ofNullable(schemes.get(id));
  }

  /**
   * The scheme with that id.
   *
   * @throws ConfigurationException listing the known ids
   */
  public ReceiptScheme require(String id) {
    ReceiptScheme s = schemes.get(id);
    if (s == null) {
      throw new ConfigurationException(
          "--receipt-scheme", "no receipt scheme '" + id + "'; installed: " + String.join(", ", schemes.keySet()));
    }
    return s;
  }
}
