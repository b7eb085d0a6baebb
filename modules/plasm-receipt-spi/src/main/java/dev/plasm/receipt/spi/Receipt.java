package dev.plasm.receipt.spi;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A signed statement that a node ran a module on some inputs with some result. Every field is
 * specified in docs/receipts.md; the compact constructors enforce the formats, so a {@code
 * Receipt} object is always well-formed (a signature may still be wrong).
 *
 * @param version the format version, {@value #VERSION}
 * @param scheme the signature scheme id (e.g. {@code ed25519})
 * @param jobId the job's id, unique per signer
 * @param nonce the requester's nonce, or null
 * @param module hash and size of the module binary
 * @param inputs hashes of the arguments, environment and stdin
 * @param settings engine, profile and limits the job ran under
 * @param settingsSha256 sha256 of the canonical JSON of {@code settings}
 * @param outcome how the job ended
 * @param stdout hash and size of what the guest wrote to stdout (up to the cap)
 * @param stderr hash and size of what the guest wrote to stderr (up to the cap)
 * @param usage resources used
 * @param startedAt when the job started, RFC 3339 UTC with milliseconds
 * @param finishedAt when it ended, same format
 * @param signer who signed
 * @param signature base64 signature over the canonical form, or null before signing
 */
public record Receipt(
    int version,
    String scheme,
    String jobId,
    String nonce,
    Digest module,
    Inputs inputs,
    Settings settings,
    String settingsSha256,
    Outcome outcome,
    Digest stdout,
    Digest stderr,
    Usage usage,
    String startedAt,
    String finishedAt,
    Signer signer,
    String signature) {

  public static final int VERSION = 1;
  static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  static final Pattern ID = Pattern.compile("[A-Za-z0-9._:-]{1,128}");
  static final Pattern SCHEME = Pattern.compile("[a-z0-9]+(-[a-z0-9]+)*");
  static final Pattern TIME =
      Pattern.compile("\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}:\\d{2}\\.\\d{3}Z");
  static final Pattern BASE64 = Pattern.compile("[A-Za-z0-9+/]*={0,2}");
  static final Pattern LIMIT_NAME = Pattern.compile("[a-zA-Z][a-zA-Z0-9]{0,63}");

  public Receipt {
    if (version != VERSION) {
      throw new ReceiptException(
          "version", "this Plasm reads receipt version " + VERSION + ", not " + version);
    }
    check("scheme", scheme, SCHEME);
    check("jobId", jobId, ID);
    if (nonce != null) {
      check("nonce", nonce, ID);
    }
    Objects.requireNonNull(module, "module");
    Objects.requireNonNull(inputs, "inputs");
    Objects.requireNonNull(settings, "settings");
    check("settingsSha256", settingsSha256, SHA256);
    Objects.requireNonNull(outcome, "outcome");
    Objects.requireNonNull(stdout, "stdout");
    Objects.requireNonNull(stderr, "stderr");
    Objects.requireNonNull(usage, "usage");
    check("startedAt", startedAt, TIME);
    check("finishedAt", finishedAt, TIME);
    Objects.requireNonNull(signer, "signer");
    if (signature != null) {
      check("signature", signature, BASE64);
    }
  }

  static void check(String field, String value, Pattern p) {
    if (value == null) {
      throw new ReceiptException(field, "is required");
    }
    if (!p.matcher(value).matches()) {
      throw new ReceiptException(
          field, "'" + abbreviate(value) + "' does not match " + p.pattern());
    }
  }

  static void nonNegative(String field, long v) {
    if (v < 0) {
      throw new ReceiptException(field, "must not be negative: " + v);
    }
  }

  private static String abbreviate(String s) {
    return s.length() > 80 ? s.substring(0, 77) + "..." : s;
  }

  /** The same receipt with a signature. */
  public Receipt withSignature(String sig) {
    return new Receipt(
        version,
        scheme,
        jobId,
        nonce,
        module,
        inputs,
        settings,
        settingsSha256,
        outcome,
        stdout,
        stderr,
        usage,
        startedAt,
        finishedAt,
        signer,
        sig);
  }

  /** A SHA-256 digest and a byte count. */
  public record Digest(String sha256, long bytes) {
    public Digest {
      check("sha256", sha256, SHA256);
      nonNegative("bytes", bytes);
    }
  }

  /**
   * What the guest was given.
   *
   * @param programName the guest's argv[0]
   * @param argsSha256 sha256 of the canonical JSON array of the arguments after argv[0]
   * @param envSha256 sha256 of the canonical JSON array of "NAME=VALUE" strings, in order
   * @param stdin hash and size of the bytes the guest read from stdin
   */
  public record Inputs(String programName, String argsSha256, String envSha256, Digest stdin) {
    public Inputs {
      if (programName == null || programName.isEmpty() || programName.length() > 255) {
        throw new ReceiptException("inputs.programName", "must be 1-255 characters");
      }
      check("inputs.argsSha256", argsSha256, SHA256);
      check("inputs.envSha256", envSha256, SHA256);
      Objects.requireNonNull(stdin, "inputs.stdin");
    }
  }

  /**
   * How the job was run.
   *
   * @param engineId the engine's id
   * @param engineVersion the engine's version
   * @param profile {@code default}, or {@code deterministic} (clocks and random come from
   *     {@code deterministic})
   * @param limits the limits, by their JSON names ({@link dev.plasm.api.Limit#jsonName()}), in their
   *     base units; a limit that was not set (fuel, unmetered) is absent. Names this Plasm does not
   *     know are kept: a receipt from a newer node states limits an older verifier need not understand,
   *     and they are covered by the signature all the same.
   * @param deterministic the clock and random seed of a deterministic job, else null
   */
  public record Settings(
      String engineId,
      String engineVersion,
      String profile,
      Map<String, Long> limits,
      Deterministic deterministic) {
    public Settings {
      check("settings.engineId", engineId, SCHEME);
      if (engineVersion == null || engineVersion.isBlank() || engineVersion.length() > 64) {
        throw new ReceiptException("settings.engineVersion", "must be 1-64 characters");
      }
      if (!"default".equals(profile) && !"deterministic".equals(profile)) {
        throw new ReceiptException(
            "settings.profile", "must be 'default' or 'deterministic', not '" + profile + "'");
      }
      Objects.requireNonNull(limits, "settings.limits");
      for (var e : limits.entrySet()) {
        check("settings.limits", e.getKey(), LIMIT_NAME);
        nonNegative("settings.limits." + e.getKey(), e.getValue());
      }
      limits = Collections.unmodifiableMap(new LinkedHashMap<>(limits));
      if ("deterministic".equals(profile) != (deterministic != null)) {
        throw new ReceiptException(
            "settings.deterministic", "is present exactly when the profile is 'deterministic'");
      }
    }
  }

  /**
   * The recorded world of a deterministic job.
   *
   * @param clockEpochMicros microseconds since the Unix epoch that both WASI clocks read first; each
   *     read advances them 1 µs
   * @param randomSeed 32 bytes in hex that seed {@code random_get}
   */
  public record Deterministic(long clockEpochMicros, String randomSeed) {
    public Deterministic {
      nonNegative("settings.deterministic.clockEpochMicros", clockEpochMicros);
      check("settings.deterministic.randomSeed", randomSeed, SHA256);
    }
  }

  /**
   * How the job ended.
   *
   * @param kind {@code completed}, {@code trapped}, {@code limit-exceeded}, {@code rejected},
   *     {@code failed}, {@code cancelled} (a client cancelled the running job) or {@code interrupted}
   *     (the node stopped it: shutdown, a lost worker)
   * @param exitCode the guest's exit code when completed, else null
   * @param detail the trap kind, the limit or the rejection kind, else null
   */
  public record Outcome(String kind, Integer exitCode, String detail) {
    public Outcome {
      switch (kind == null ? "" : kind) {
        case "completed" -> {
          if (exitCode == null || detail != null) {
            throw new ReceiptException(
                "outcome", "a completed outcome has an exitCode and no detail");
          }
        }
        case "trapped", "limit-exceeded", "rejected" -> {
          if (exitCode != null || detail == null || !SCHEME.matcher(detail).matches()) {
            throw new ReceiptException(
                "outcome", "a " + kind + " outcome has a detail id and no exitCode");
          }
        }
        case "failed", "cancelled", "interrupted" -> {
          if (exitCode != null || detail != null) {
            throw new ReceiptException(
                "outcome", "a " + kind + " outcome has neither exitCode nor detail");
          }
        }
        default -> throw new ReceiptException("outcome.kind", "unknown outcome '" + kind + "'");
      }
    }
  }

  /** Resources used; {@code fuelConsumed} is null when the run was not metered. */
  public record Usage(long wallTimeMicros, long peakMemoryPages, Long fuelConsumed) {
    public Usage {
      nonNegative("usage.wallTimeMicros", wallTimeMicros);
      nonNegative("usage.peakMemoryPages", peakMemoryPages);
      if (fuelConsumed != null) {
        nonNegative("usage.fuelConsumed", fuelConsumed);
      }
    }
  }

  /**
   * The node that signed.
   *
   * @param peerId its libp2p peer id
   * @param publicKey its public key, standard base64
   */
  public record Signer(String peerId, String publicKey) {
    public Signer {
      check("signer.peerId", peerId, Pattern.compile("[1-9A-HJ-NP-Za-km-z]{40,60}"));
      check("signer.publicKey", publicKey, BASE64);
    }
  }
}
