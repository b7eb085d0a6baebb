package dev.plasm.transport.spi;

import java.nio.charset.StandardCharsets;
import java.util.Objects;

/**
 * A key in Plasm's DHT namespace: {@code /plasm/<name>}, at most {@value #MAX_BYTES} bytes of UTF-8
 * with no control characters. Values are stored under the key itself, provider records under the
 * SHA-256 of its bytes.
 */
public record DhtKey(String text) {
  /** Every key starts with this. */
  public static final String NAMESPACE = "/plasm/";

  /** The longest key, in UTF-8 bytes (the DHT refuses longer ones). */
  public static final int MAX_BYTES = 512;

  /**
   * Validates {@code text}.
   *
   * @throws InvalidInputException (field {@code key}) saying what is wrong
   */
  public DhtKey {
    Objects.requireNonNull(text, "text");
    String problem = problem(text);
    if (problem != null) {
      throw new InvalidInputException("key", problem);
    }
  }

  /** Why {@code text} is not a key, or null if it is one. */
  public static String problem(String text) {
    if (!text.startsWith(NAMESPACE) || text.length() == NAMESPACE.length()) {
      return "key '" + shorten(text) + "' must be " + NAMESPACE + "<name>, e.g. /plasm/job/42";
    }
    int bytes = text.getBytes(StandardCharsets.UTF_8).length;
    if (bytes > MAX_BYTES) {
      return "key is " + bytes + " bytes; at most " + MAX_BYTES + " are allowed";
    }
    for (int i = 0; i < text.length(); i++) {
      char c = text.charAt(i);
      if (c < 0x20 || c == 0x7f || Character.isSurrogate(c) && !validSurrogate(text, i)) {
        return "key '" + shorten(text) + "' has a control character or broken UTF-16 at index " + i;
      }
      if (Character.isHighSurrogate(c)) {
        i++;
      }
    }
    return null;
  }

  private static boolean validSurrogate(String s, int i) {
    return Character.isHighSurrogate(s.charAt(i))
        && i + 1 < s.length()
        && Character.isLowSurrogate(s.charAt(i + 1));
  }

  private static String shorten(String s) {
    String t = s.length() > 80 ? s.substring(0, 80) + "…" : s;
    StringBuilder b = new StringBuilder();
    t.codePoints()
        .forEach(
            cp -> {
              if (cp < 0x20 || cp == 0x7f) {
                b.append(String.format("\\x%02x", cp));
              } else {
                b.appendCodePoint(cp);
              }
            });
    return b.toString();
  }

  /** The key as the DHT stores it. */
  public byte[] bytes() {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Override
  public String toString() {
    return text;
  }
}
