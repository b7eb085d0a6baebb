package dev.plasm.transport.spi;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a transport is.
 *
 * @param id unique transport id, {@code [a-z0-9-]+}, at most 64 characters (e.g. {@code libp2p});
 *     the daemon's {@code p2p.transport} setting names it
 * @param version the implementation's version, shown to users
 * @param description one line for logs and {@code plasm peers --json}
 */
public record TransportDescriptor(String id, String version, String description) {
  /** The form every transport id must have. */
  public static final Pattern ID_PATTERN = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*");

  public TransportDescriptor {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(description, "description");
    if (id.length() > 64 || !ID_PATTERN.matcher(id).matches()) {
      throw new IllegalArgumentException(
          "transport id '"
              + id
              + "' is not valid: use 1-64 characters of a-z, 0-9 and single hyphens");
    }
    if (version.isBlank()) {
      throw new IllegalArgumentException("transport '" + id + "' has a blank version");
    }
  }
}
