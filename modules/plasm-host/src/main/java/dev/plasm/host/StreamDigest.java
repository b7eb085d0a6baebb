package dev.plasm.host;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * The SHA-256 and length of the bytes that went through one of a job's streams.
 *
 * @param sha256 lower-case hex
 * @param bytes the byte count
 */
public record StreamDigest(String sha256, long bytes) {
  private static final Pattern HEX = Pattern.compile("[0-9a-f]{64}");

  public StreamDigest {
    Objects.requireNonNull(sha256, "sha256");
    if (!HEX.matcher(sha256).matches() || bytes < 0) {
      throw new IllegalArgumentException("not a sha256 digest: " + sha256 + "/" + bytes);
    }
  }

  /** The digest of a file's bytes (a missing file is empty). */
  public static StreamDigest ofFile(java.nio.file.Path file) throws java.io.IOException {
    java.security.MessageDigest md = Hashing.sha256();
    long n = 0;
    if (java.nio.file.Files.isRegularFile(file)) {
      try (java.io.InputStream in = java.nio.file.Files.newInputStream(file)) {
        byte[] buf = new byte[65536];
        int r;
        while ((r = in.read(buf)) > 0) {
          md.update(buf, 0, r);
          n += r;
        }
      }
    }
    return new StreamDigest(java.util.HexFormat.of().formatHex(md.digest()), n);
  }

  /** The digest of a byte array. */
  public static StreamDigest of(byte[] data) {
    return new StreamDigest(Hashing.sha256Hex(data), data.length);
  }
}
