package dev.plasm.engine.spi;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A host directory made visible to the guest.
 *
 * @param hostPath an existing host directory, absolute and with symlinks resolved
 * @param guestPath where the guest sees it, e.g. {@code /data} or {@code .}
 * @param readOnly whether the guest may only read
 */
public record Preopen(Path hostPath, String guestPath, boolean readOnly) {
  public Preopen {
    Objects.requireNonNull(hostPath, "hostPath");
    Objects.requireNonNull(guestPath, "guestPath");
    if (!hostPath.isAbsolute()) {
      throw new IllegalArgumentException("preopen host path must be absolute: " + hostPath);
    }
    if (guestPath.isEmpty() || guestPath.indexOf('\0') >= 0) {
      throw new IllegalArgumentException(
          "preopen guest path must be a non-empty path: '" + guestPath + "'");
    }
  }
}
