package dev.plasm.host;

import dev.plasm.api.ResourceLimits;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * One job for the {@link Sandbox}: a module, its WASI world and its limits.
 *
 * @param moduleName how the module is named in messages (a file name, or a hash)
 * @param module the module binary
 * @param engineId the engine to use, or null for the registry's default
 * @param args the guest's arguments after the program name
 * @param env environment variables in order
 * @param stdin the guest's stdin
 * @param stdout where the guest's stdout goes (capped by the sandbox)
 * @param stderr where the guest's stderr goes (capped by the sandbox)
 * @param dirs host directories to preopen
 * @param limits the limits to run under
 * @param determinism recorded clocks and random for a deterministic run, or null
 */
public record Job(
    String moduleName,
    byte[] module,
    String engineId,
    List<String> args,
    Map<String, String> env,
    InputStream stdin,
    OutputStream stdout,
    OutputStream stderr,
    List<DirMapping> dirs,
    ResourceLimits limits,
    dev.plasm.engine.spi.Determinism determinism) {

  /** A job with the real clocks and random. */
  public Job(
      String moduleName, byte[] module, String engineId, List<String> args, Map<String, String> env,
      InputStream stdin, OutputStream stdout, OutputStream stderr, List<DirMapping> dirs, ResourceLimits limits) {
    this(moduleName, module, engineId, args, env, stdin, stdout, stderr, dirs, limits, null);
  }

  public Job {
    Objects.requireNonNull(moduleName, "moduleName");
    Objects.requireNonNull(module, "module");
    args = List.copyOf(args);
    env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
    Objects.requireNonNull(stdin, "stdin");
    Objects.requireNonNull(stdout, "stdout");
    Objects.requireNonNull(stderr, "stderr");
    dirs = List.copyOf(dirs);
    Objects.requireNonNull(limits, "limits");
  }
}
