package dev.plasm.job;

import dev.plasm.api.Limit;
import java.util.Collections;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A job as its requester describes it (docs/manifest.md): the module, its inputs, the limits asked
 * for, and where and how to run it. Values are checked for their own form here and in the codec;
 * what a node can give (its limits, engines, modules) is decided at admission ({@link JobPlan}).
 *
 * @param module where the module comes from
 * @param programName the guest's {@code argv[0]}, or null for a name made from the module
 * @param args the guest's arguments after {@code argv[0]}
 * @param env environment variables, in order
 * @param stdin what the guest reads on stdin
 * @param limits the limits asked for; an absent one is the node's
 * @param engine an engine id, or {@code auto}
 * @param deterministic give the guest recorded clocks and random (written into the receipt)
 * @param nonce the requester's nonce for the receipt, or null
 * @param placement where the job may run
 * @param redundancy on how many distinct nodes to run it (outputs must agree)
 * @param verify how a result from another node is checked
 * @param idempotencyKey makes resubmission safe (the same key gives the same job), or null
 */
public record JobManifest(
    ModuleSource module,
    String programName,
    List<String> args,
    Map<String, String> env,
    StdinSource stdin,
    Map<Limit, Long> limits,
    String engine,
    boolean deterministic,
    String nonce,
    Placement placement,
    int redundancy,
    Verify verify,
    String idempotencyKey) {

  /** The engine id that lets the node choose. */
  public static final String AUTO = "auto";

  /** Nonces and idempotency keys. */
  public static final java.util.regex.Pattern ID_CHARS =
      java.util.regex.Pattern.compile("[A-Za-z0-9._:-]{1,128}");

  /** Engine ids (and {@code auto}). */
  public static final java.util.regex.Pattern ENGINE =
      java.util.regex.Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*");

  /** The most nodes one job may run on at once. */
  public static final int MAX_REDUNDANCY = 16;

  /** Where a module comes from. */
  public sealed interface ModuleSource {
    /** Already known to the node, by its sha256 (uploaded, or fetched from peers). */
    record ByHash(String sha256) implements ModuleSource {
      public ByHash {
        Objects.requireNonNull(sha256, "sha256");
      }
    }

    /** The binary itself ({@code moduleBase64}). */
    record Inline(byte[] bytes) implements ModuleSource {
      public Inline {
        Objects.requireNonNull(bytes, "bytes");
      }
    }

    /** A file, for manifests read by {@code plasm run} and {@code plasm submit} (relative to the manifest). */
    record ByPath(String path) implements ModuleSource {
      public ByPath {
        Objects.requireNonNull(path, "path");
      }
    }
  }

  /** What the guest reads on stdin. */
  public sealed interface StdinSource {
    /** Nothing: end of file at once. */
    record None() implements StdinSource {}

    /** These bytes ({@code stdinBase64}). */
    record Inline(byte[] bytes) implements StdinSource {
      public Inline {
        Objects.requireNonNull(bytes, "bytes");
      }
    }

    /** A file, for manifests read by {@code plasm run} and {@code plasm submit}. */
    record ByPath(String path) implements StdinSource {
      public ByPath {
        Objects.requireNonNull(path, "path");
      }
    }
  }

  public JobManifest {
    Objects.requireNonNull(module, "module");
    args = List.copyOf(args);
    env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
    Objects.requireNonNull(stdin, "stdin");
    EnumMap<Limit, Long> l = new EnumMap<>(Limit.class);
    limits.forEach((k, v) -> l.put(k, k.check(v)));
    limits = Collections.unmodifiableMap(l);
    Objects.requireNonNull(engine, "engine");
    Objects.requireNonNull(placement, "placement");
    if (redundancy < 1 || redundancy > MAX_REDUNDANCY) {
      throw new IllegalArgumentException("redundancy must be 1 to " + MAX_REDUNDANCY);
    }
    Objects.requireNonNull(verify, "verify");
  }

  /** A manifest for {@code module} with every other field at its default. */
  public static JobManifest of(ModuleSource module) {
    return new JobManifest(
        module,
        null,
        List.of(),
        Map.of(),
        new StdinSource.None(),
        Map.of(),
        AUTO,
        false,
        null,
        Placement.ANY,
        1,
        Verify.RECEIPT,
        null);
  }

  public JobManifest withModule(ModuleSource m) {
    return new JobManifest(
        m,
        programName,
        args,
        env,
        stdin,
        limits,
        engine,
        deterministic,
        nonce,
        placement,
        redundancy,
        verify,
        idempotencyKey);
  }

  public JobManifest withPlacement(Placement p) {
    return new JobManifest(
        module,
        programName,
        args,
        env,
        stdin,
        limits,
        engine,
        deterministic,
        nonce,
        p,
        redundancy,
        verify,
        idempotencyKey);
  }

  public JobManifest withEngine(String e) {
    return new JobManifest(
        module,
        programName,
        args,
        env,
        stdin,
        limits,
        e,
        deterministic,
        nonce,
        placement,
        redundancy,
        verify,
        idempotencyKey);
  }

  public JobManifest withStdin(StdinSource s) {
    return new JobManifest(
        module,
        programName,
        args,
        env,
        s,
        limits,
        engine,
        deterministic,
        nonce,
        placement,
        redundancy,
        verify,
        idempotencyKey);
  }
}
