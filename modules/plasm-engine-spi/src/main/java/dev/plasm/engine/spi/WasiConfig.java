package dev.plasm.engine.spi;

import java.io.InputStream;
import java.io.OutputStream;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * The WASI preview 1 world of one run.
 *
 * @param args the guest's argv; the first is the program name
 * @param env environment variables, in the order the guest sees them
 * @param stdin what the guest reads from fd 0
 * @param stdout where fd 1 goes; the host may cap it by throwing
 * @param stderr where fd 2 goes; the host may cap it by throwing
 * @param preopens directories the guest may open, from fd 3 on, in this order
 * @param determinism recorded clocks and random for a deterministic run, or null for the real
 *     ones
 */
public record WasiConfig(
    List<String> args,
    Map<String, String> env,
    InputStream stdin,
    OutputStream stdout,
    OutputStream stderr,
    List<Preopen> preopens,
    Determinism determinism) {

  /** A configuration with the real clocks and random. */
  public WasiConfig(
      List<String> args,
      Map<String, String> env,
      InputStream stdin,
      OutputStream stdout,
      OutputStream stderr,
      List<Preopen> preopens) {
    this(args, env, stdin, stdout, stderr, preopens, null);
  }

  public WasiConfig {
    args = List.copyOf(args);
    env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
    Objects.requireNonNull(stdin, "stdin");
    Objects.requireNonNull(stdout, "stdout");
    Objects.requireNonNull(stderr, "stderr");
    preopens = List.copyOf(preopens);
    for (String a : args) {
      if (a.indexOf('\0') >= 0) {
        throw new IllegalArgumentException("a WASI argument must not contain a NUL byte");
      }
    }
    for (var e : env.entrySet()) {
      if (e.getKey().isEmpty()
          || e.getKey().indexOf('=') >= 0
          || e.getKey().indexOf('\0') >= 0
          || e.getValue().indexOf('\0') >= 0) {
        throw new IllegalArgumentException(
            "environment variable '"
                + e.getKey()
                + "' is not valid: names must be non-empty without '=' or NUL");
      }
    }
  }
}
