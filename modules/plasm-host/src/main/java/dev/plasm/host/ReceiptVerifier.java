package dev.plasm.host;

import dev.plasm.identity.PeerId;
import dev.plasm.receipt.spi.Receipt;
import dev.plasm.receipt.spi.ReceiptCodec;
import dev.plasm.receipt.spi.ReceiptException;
import dev.plasm.receipt.spi.ReceiptScheme;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Checks a receipt offline: its form, its signature, that files and ids the verifier holds match
 * it, and whether its signer is one the verifier trusts. Each check is reported on its own, so a
 * failure says exactly what did not match.
 */
public final class ReceiptVerifier {

  /** One check and its result. */
  public record Check(String name, boolean passed, String detail) {
    public Check {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(detail, "detail");
    }
  }

  /**
   * What the verifier holds and expects; every field is optional (null or empty).
   *
   * @param module the module binary
   * @param stdout the job's stdout
   * @param stderr the job's stderr
   * @param trusted peer ids or base64 public keys the verifier trusts
   * @param jobId the job id the verifier expects
   * @param nonce the nonce the verifier sent
   */
  public record Request(
      byte[] module,
      byte[] stdout,
      byte[] stderr,
      List<String> trusted,
      String jobId,
      String nonce) {
    public Request {
      trusted = trusted == null ? List.of() : List.copyOf(trusted);
    }
  }

  /**
   * The result of verifying one receipt.
   *
   * @param receipt the parsed receipt, or null if it could not be parsed
   * @param checks the checks in the order they ran
   */
  public record Report(Receipt receipt, List<Check> checks) {
    public Report {
      checks = List.copyOf(checks);
    }

    /** Whether the document parsed. */
    public boolean wellFormed() {
      return receipt != null;
    }

    /** Whether every check but trust passed. */
    public boolean authentic() {
      return wellFormed()
          && checks.stream().filter(c -> !c.name().equals("trust")).allMatch(Check::passed);
    }

    /** Whether every check passed, trust included. */
    public boolean passed() {
      return wellFormed() && checks.stream().allMatch(Check::passed);
    }

    public List<Check> failures() {
      return checks.stream().filter(c -> !c.passed()).toList();
    }
  }

  private final ReceiptSchemes schemes;

  public ReceiptVerifier(ReceiptSchemes schemes) {
    this.schemes = schemes;
  }

  public Report verify(byte[] json, Request req) {
    List<Check> checks = new ArrayList<>();
    Receipt r;
    try {
      r = ReceiptCodec.parse(json);
    } catch (ReceiptException e) {
      checks.add(new Check("format", false, "the receipt is malformed: " + e.getMessage()));
      return new Report(null, checks);
    }
    checks.add(
        new Check("format", true, "receipt version " + r.version() + ", scheme " + r.scheme()));

    Optional<ReceiptScheme> scheme = schemes.find(r.scheme());
    byte[] key = decode(r.signer().publicKey());
    if (scheme.isEmpty()) {
      checks.add(
          new Check(
              "scheme",
              false,
              "no installed scheme '" + r.scheme() + "' can check this signature"));
      return new Report(r, checks);
    }
    String keyProblem =
        key == null ? "the public key is not base64" : scheme.get().publicKeyProblem(key);
    checks.add(
        new Check(
            "signer-key",
            keyProblem == null,
            keyProblem == null ? "acceptable " + r.scheme() + " key" : keyProblem));
    if (keyProblem != null) {
      return new Report(r, checks);
    }
    String peerProblem = peerIdProblem(r, key);
    checks.add(
        new Check(
            "signer-peer-id",
            peerProblem == null,
            peerProblem == null ? r.signer().peerId() : peerProblem));

    String settingsHash = ReceiptCodec.sha256OfCanonical(ReceiptCodec.settings(r.settings()));
    boolean settingsOk = settingsHash.equals(r.settingsSha256());
    checks.add(
        new Check(
            "settings-hash",
            settingsOk,
            settingsOk
                ? "matches the settings"
                : "settingsSha256 is "
                    + r.settingsSha256()
                    + " but the settings hash to "
                    + settingsHash));

    byte[] sig = r.signature() == null ? null : decode(r.signature());
    boolean sigOk = sig != null && scheme.get().verify(key, ReceiptCodec.signingBytes(r), sig);
    checks.add(
        new Check(
            "signature",
            sigOk,
            sigOk
                ? "valid " + r.scheme() + " signature by " + r.signer().peerId()
                : r.signature() == null
                    ? "the receipt is not signed"
                    : "the signature does not match the receipt's content and key"));

    if (req.jobId() != null) {
      boolean ok = req.jobId().equals(r.jobId());
      checks.add(
          new Check(
              "job-id",
              ok,
              ok ? r.jobId() : "the receipt is for job " + r.jobId() + ", not " + req.jobId()));
    }
    if (req.nonce() != null) {
      boolean ok = req.nonce().equals(r.nonce());
      checks.add(
          new Check(
              "nonce",
              ok,
              ok ? "matches" : "the receipt's nonce is " + r.nonce() + ", not " + req.nonce()));
    }
    compare(checks, "module", req.module(), r.module());
    compare(checks, "stdout", req.stdout(), r.stdout());
    compare(checks, "stderr", req.stderr(), r.stderr());
    checks.add(trust(r, key, req.trusted()));
    return new Report(r, checks);
  }

  private static String peerIdProblem(Receipt r, byte[] key) {
    PeerId stated;
    try {
      stated = PeerId.parse(r.signer().peerId());
    } catch (IllegalArgumentException e) {
      return e.getMessage();
    }
    PeerId derived = PeerId.ofEd25519(key);
    return stated.equals(derived)
        ? null
        : "signer.peerId is " + stated + " but the public key gives " + derived;
  }

  private static void compare(List<Check> checks, String name, byte[] data, Receipt.Digest stated) {
    if (data == null) {
      return;
    }
    StreamDigest actual = StreamDigest.of(data);
    boolean ok = actual.sha256().equals(stated.sha256()) && actual.bytes() == stated.bytes();
    checks.add(
        new Check(
            name,
            ok,
            ok
                ? "sha256 " + actual.sha256() + ", " + actual.bytes() + " bytes"
                : "the given "
                    + name
                    + " has sha256 "
                    + actual.sha256()
                    + " ("
                    + actual.bytes()
                    + " bytes) but the receipt says "
                    + stated.sha256()
                    + " ("
                    + stated.bytes()
                    + " bytes)"));
  }

  private static Check trust(Receipt r, byte[] key, List<String> trusted) {
    if (trusted.isEmpty()) {
      return new Check(
          "trust",
          false,
          "no trusted signers given (--trust PEER_ID_OR_KEY); the key inside a receipt proves nothing by itself");
    }
    // A peer id may be pinned in either text form; a malformed signer.peerId has already failed.
    PeerId signer = peerIdOrNull(r.signer().peerId());
    for (String t : trusted) {
      if (t.equals(r.signer().peerId()) || (signer != null && signer.equals(peerIdOrNull(t)))) {
        return new Check("trust", true, "signer " + t + " is trusted");
      }
      byte[] k = decode(t);
      if (k != null && Arrays.equals(k, key)) {
        return new Check("trust", true, "signer key " + t + " is trusted");
      }
    }
    return new Check(
        "trust",
        false,
        "signer "
            + r.signer().peerId()
            + " is not among the "
            + trusted.size()
            + " trusted signer(s)");
  }

  /** A pinned peer id in either text form (base58btc or CIDv1), or null if {@code text} is none (a key). */
  private static PeerId peerIdOrNull(String text) {
    try {
      return PeerId.parse(text);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }

  private static byte[] decode(String b64) {
    try {
      return Base64.getDecoder().decode(b64);
    } catch (IllegalArgumentException e) {
      return null;
    }
  }
}
