package dev.plasm.engine.spi;

import dev.plasm.api.Limit;
import java.util.Objects;
import java.util.Set;
import java.util.regex.Pattern;

/**
 * What an engine is and what it can enforce by itself.
 *
 * @param id unique engine id, {@code [a-z0-9-]+}, at most 64 characters (e.g. {@code
 *     chicory-interpreter})
 * @param version the engine's version, shown to users and written into receipts
 * @param description one line for {@code plasm engines}
 * @param mode how it executes code
 * @param enforcedLimits the limits the engine enforces itself, reliably, on every code shape; the
 *     host enforces the others around the engine or refuses jobs that need them (a wall-clock
 *     limit is only "enforced" if interrupting the running thread stops every loop shape)
 * @param capabilities optional behaviours the engine offers
 */
public record EngineDescriptor(
    String id,
    String version,
    String description,
    ExecutionMode mode,
    Set<Limit> enforcedLimits,
    Set<Capability> capabilities) {

  /** A descriptor with no optional capabilities. */
  public EngineDescriptor(
      String id,
      String version,
      String description,
      ExecutionMode mode,
      Set<Limit> enforcedLimits) {
    this(id, version, description, mode, enforcedLimits, Set.of());
  }

  /** The form every engine id must have. */
  public static final Pattern ID_PATTERN = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*");

  public EngineDescriptor {
    Objects.requireNonNull(id, "id");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(description, "description");
    Objects.requireNonNull(mode, "mode");
    enforcedLimits = Set.copyOf(enforcedLimits);
    capabilities = Set.copyOf(capabilities);
    if (id.length() > 64 || !ID_PATTERN.matcher(id).matches()) {
      throw new IllegalArgumentException(
          "engine id '"
              + id
              + "' is not valid: use 1-64 characters of a-z, 0-9 and single hyphens, e.g. my-engine");
    }
    if (version.isBlank()) {
      throw new IllegalArgumentException("engine '" + id + "' has a blank version");
    }
  }

  /** Whether the engine offers the given capability. */
  public boolean has(Capability c) {
    return capabilities.contains(c);
  }

  /** Whether the engine enforces the given limit itself. */
  public boolean enforces(Limit limit) {
    return enforcedLimits.contains(limit);
  }
}
