package dev.plasm.cli;

import dev.plasm.api.ConfigurationException;
import dev.plasm.api.Limit;
import dev.plasm.job.JobJson;
import dev.plasm.job.JobManifest;
import dev.plasm.job.JobManifest.ModuleSource;
import dev.plasm.job.JobManifest.StdinSource;
import dev.plasm.job.ManifestException;
import dev.plasm.job.Placement;
import dev.plasm.job.Verify;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Manifests on the command line: {@code --manifest FILE} (docs/manifest.md) read as the daemon
 * reads a request, with paths relative to the file, and the command line's own values laid over it.
 */
final class Manifests {
  private Manifests() {}

  /** What the command line says about a job; null or empty means "not given". */
  record Flags(
      Path module,
      List<String> args,
      Map<String, String> env,
      Path stdin,
      Map<Limit, Long> limits,
      String engine,
      boolean deterministic,
      String nonce,
      Placement placement,
      Integer redundancy,
      Verify verify,
      String idempotencyKey) {}

  /** Reads a manifest file; module and stdin paths in it are resolved against its directory. */
  static JobManifest read(Path file) {
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      throw new DaemonClient.Failure(ExitCodes.NO_INPUT, "--manifest " + file + ": no such file");
    } catch (IOException e) {
      throw new DaemonClient.Failure(
          ExitCodes.NO_INPUT, "--manifest " + file + ": " + e.getMessage());
    }
    JobManifest m;
    try {
      m = JobJson.manifest(bytes, JobJson.Source.FILE);
    } catch (ManifestException e) {
      // The field inside the file (limits.timeoutMillis), as the daemon names it; the message names
      // the file.
      throw new ConfigurationException(
          e.fieldOrNull() != null ? e.fieldOrNull() : "--manifest",
          "--manifest " + file + ": " + e.getMessage());
    }
    Path dir = file.toAbsolutePath().getParent();
    if (m.module() instanceof ModuleSource.ByPath p) {
      m = m.withModule(new ModuleSource.ByPath(dir.resolve(p.path()).toString()));
    }
    if (m.stdin() instanceof StdinSource.ByPath p) {
      m = m.withStdin(new StdinSource.ByPath(dir.resolve(p.path()).toString()));
    }
    return m;
  }

  /** The job: {@code base} (a manifest file's, or none) with the command line's values over it. */
  static JobManifest merge(JobManifest base, Flags f) {
    if (f.nonce() != null && !JobManifest.ID_CHARS.matcher(f.nonce()).matches()) {
      throw new ConfigurationException(
          "--nonce",
          "--nonce: '" + f.nonce() + "' must be 1-128 characters of A-Z a-z 0-9 . _ : -");
    }
    if (f.idempotencyKey() != null && !JobManifest.ID_CHARS.matcher(f.idempotencyKey()).matches()) {
      throw new ConfigurationException(
          "--idempotency-key",
          "--idempotency-key: '"
              + f.idempotencyKey()
              + "' must be 1-128 characters of A-Z a-z 0-9 . _ : -");
    }
    if (f.engine() != null
        && !f.engine().equals(JobManifest.AUTO)
        && !JobManifest.ENGINE.matcher(f.engine()).matches()) {
      throw new ConfigurationException(
          "--engine", "--engine: '" + f.engine() + "' is not an engine id (see 'plasm engines')");
    }
    ModuleSource module =
        f.module() != null
            ? new ModuleSource.ByPath(f.module().toString())
            : base != null ? base.module() : null;
    if (module == null) {
      throw new ConfigurationException(
          "MODULE", "give MODULE.wasm, or a manifest with --manifest FILE");
    }
    List<String> args = !f.args().isEmpty() || base == null ? f.args() : base.args();
    Map<String, String> env = new LinkedHashMap<>(base == null ? Map.of() : base.env());
    env.putAll(f.env());
    StdinSource stdin =
        f.stdin() != null
            ? new StdinSource.ByPath(f.stdin().toString())
            : base != null ? base.stdin() : new StdinSource.None();
    Map<Limit, Long> limits = new EnumMap<>(Limit.class);
    if (base != null) {
      limits.putAll(base.limits());
    }
    limits.putAll(f.limits());
    return new JobManifest(
        module,
        base == null ? null : base.programName(),
        args,
        env,
        stdin,
        limits,
        f.engine() != null ? f.engine() : base != null ? base.engine() : JobManifest.AUTO,
        f.deterministic() || (base != null && base.deterministic()),
        f.nonce() != null ? f.nonce() : base == null ? null : base.nonce(),
        f.placement() != null ? f.placement() : base != null ? base.placement() : Placement.ANY,
        f.redundancy() != null ? f.redundancy() : base != null ? base.redundancy() : 1,
        f.verify() != null ? f.verify() : base != null ? base.verify() : Verify.RECEIPT,
        f.idempotencyKey() != null
            ? f.idempotencyKey()
            : base == null ? null : base.idempotencyKey());
  }

  /** Reads a file a job names (its module, its stdin); a missing file is exit 66. */
  static byte[] readFile(String path, String what) {
    try {
      return Files.readAllBytes(Path.of(path));
    } catch (NoSuchFileException e) {
      throw new DaemonClient.Failure(ExitCodes.NO_INPUT, what + " " + path + ": no such file");
    } catch (IOException e) {
      throw new DaemonClient.Failure(
          ExitCodes.NO_INPUT, what + " " + path + ": cannot read: " + e.getMessage());
    }
  }
}
