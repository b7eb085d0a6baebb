package dev.plasm.cli;

import dev.plasm.daemon.DaemonConfig;
import java.nio.file.Path;

/**
 * Prints the JVM option that gives {@code plasm daemon} its heap ({@code -Xmx...m} from {@code
 * [daemon] heap}), for the image's launcher, which must know it before the daemon's JVM starts. It
 * reads the same config file as {@code plasm daemon ARGS} would ({@code --config FILE}, else {@code
 * /etc/plasm/plasmd.toml} when it exists, else the defaults) and prints nothing when it cannot.
 */
public final class DaemonHeap {
  private DaemonHeap() {}

  public static void main(String[] args) {
    Path config = null;
    for (int i = 0; i < args.length; i++) {
      if (args[i].equals("--config") && i + 1 < args.length) {
        config = Path.of(args[i + 1]);
      } else if (args[i].startsWith("--config=")) {
        config = Path.of(args[i].substring("--config=".length()));
      }
    }
    try {
      System.out.println("-Xmx" + (DaemonConfig.load(config).heap() >> 20) + "m");
    } catch (RuntimeException e) {
      System.exit(1); // the daemon reports it, with the key at fault
    }
  }
}
