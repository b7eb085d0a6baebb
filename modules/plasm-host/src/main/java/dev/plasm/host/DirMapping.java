package dev.plasm.host;

import dev.plasm.api.ConfigurationException;
import java.nio.file.Path;
import java.util.Objects;

/**
 * A host directory the guest may use, as given on the command line.
 *
 * @param host the host directory
 * @param guest where the guest sees it
 * @param readOnly whether writes are refused
 */
public record DirMapping(Path host, String guest, boolean readOnly) {
  public DirMapping {
    Objects.requireNonNull(host, "host");
    Objects.requireNonNull(guest, "guest");
  }

  /**
   * Parses the {@code --dir} syntax {@code HOST[::GUEST][:ro]}; without {@code ::GUEST} the guest
   * sees the directory under the same name as given.
   */
  public static DirMapping parse(String spec, boolean forceReadOnly) {
    String s = spec;
    boolean ro = forceReadOnly;
    if (s.endsWith(":ro")) {
      s = s.substring(0, s.length() - 3);
      ro = true;
    } else if (s.endsWith(":rw")) {
      s = s.substring(0, s.length() - 3);
    }
    String host = s;
    String guest = s;
    int sep = s.indexOf("::");
    if (sep >= 0) {
      host = s.substring(0, sep);
      guest = s.substring(sep + 2);
    }
    if (host.isEmpty() || guest.isEmpty()) {
      throw new ConfigurationException(
          "--dir",
          "--dir '"
              + spec
              + "': write HOST, HOST::GUEST or HOST::GUEST:ro, e.g. --dir ./data::/data:ro");
    }
    if (host.indexOf('\0') >= 0 || guest.indexOf('\0') >= 0) {
      throw new ConfigurationException("--dir", "--dir '" + spec + "': paths must not contain NUL");
    }
    return new DirMapping(Path.of(host), guest, ro);
  }
}
