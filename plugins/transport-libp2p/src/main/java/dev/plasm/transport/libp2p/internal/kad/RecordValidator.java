package dev.plasm.transport.libp2p.internal.kad;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/**
 * Validation and selection of DHT records (kad-dht/README.md §Entry validation). Only keys of
 * the form {@code /<namespace>/<name>} in the configured namespace (Plasm's {@code /plasm/}) are
 * accepted, with a value of at most {@code maxValueSize} bytes; every other namespace is refused.
 *
 * <p>Selection among several valid values for one key picks the greatest value as unsigned
 * bytes, so writers that want versioning start values with a fixed-width sequence number. The js
 * test peer is configured with the same rule.
 */
public final class RecordValidator {
  public static final int MAX_KEY_BYTES = 512;
  private final String prefix;
  private final int maxValueSize;

  public RecordValidator(String namespace, int maxValueSize) {
    if (namespace.isEmpty() || namespace.contains("/")) {
      throw new IllegalArgumentException(
          "a namespace is one path segment, not \"" + namespace + "\"");
    }
    this.prefix = "/" + namespace + "/";
    this.maxValueSize = maxValueSize;
  }

  public String prefix() {
    return prefix;
  }

  public int maxValueSize() {
    return maxValueSize;
  }

  /** Throws {@link InvalidRecordException} saying why {@code key}/{@code value} is refused. */
  public void validate(byte[] key, byte[] value) {
    if (key.length > MAX_KEY_BYTES) {
      throw new InvalidRecordException(
          "record key of " + key.length + " bytes exceeds " + MAX_KEY_BYTES);
    }
    byte[] p = prefix.getBytes(StandardCharsets.UTF_8);
    if (key.length <= p.length || !Arrays.equals(key, 0, p.length, p, 0, p.length)) {
      throw new InvalidRecordException(
          "record key " + KadKey.printable(key) + " is outside the " + prefix + " namespace");
    }
    if (value.length > maxValueSize) {
      throw new InvalidRecordException(
          "record "
              + KadKey.printable(key)
              + " has "
              + value.length
              + " bytes, more than the "
              + maxValueSize
              + "-byte limit");
    }
  }

  /** The index of the best of {@code values} (all already valid). */
  public int select(List<byte[]> values) {
    int best = 0;
    for (int i = 1; i < values.size(); i++) {
      if (Arrays.compareUnsigned(values.get(i), values.get(best)) > 0) {
        best = i;
      }
    }
    return best;
  }

  /** A record that the validator refuses. */
  public static final class InvalidRecordException extends RuntimeException {
    public InvalidRecordException(String message) {
      super(message);
    }
  }
}
