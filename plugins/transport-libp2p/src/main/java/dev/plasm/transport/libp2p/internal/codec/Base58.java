package dev.plasm.transport.libp2p.internal.codec;

import java.util.Arrays;

/** Base58btc (the Bitcoin alphabet), the text form of peer ids and of multiaddr p2p values. */
public final class Base58 {
  private static final char[] ALPHABET =
      "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz".toCharArray();
  private static final int[] INDEXES = new int[128];

  static {
    Arrays.fill(INDEXES, -1);
    for (int i = 0; i < ALPHABET.length; i++) {
      INDEXES[ALPHABET[i]] = i;
    }
  }

  private Base58() {}

  public static String encode(byte[] input) {
    int zeros = 0;
    while (zeros < input.length && input[zeros] == 0) {
      zeros++;
    }
    // log(256)/log(58) < 1.37, so this many digits always suffice.
    byte[] digits = new byte[(input.length - zeros) * 138 / 100 + 1];
    int length = 0;
    for (int i = zeros; i < input.length; i++) {
      int carry = input[i] & 0xFF;
      int j = 0;
      for (; j < length || carry != 0; j++) {
        carry += 256 * (digits[j] & 0xFF);
        digits[j] = (byte) (carry % 58);
        carry /= 58;
      }
      length = j;
    }
    StringBuilder sb = new StringBuilder(zeros + length);
    sb.repeat('1', zeros);
    for (int i = length - 1; i >= 0; i--) {
      sb.append(ALPHABET[digits[i]]);
    }
    return sb.toString();
  }

  /** Decodes base58btc text; throws {@link IllegalArgumentException} naming the bad character. */
  public static byte[] decode(String text) {
    int zeros = 0;
    while (zeros < text.length() && text.charAt(zeros) == '1') {
      zeros++;
    }
    // log(58)/log(256) < 0.74
    byte[] bytes = new byte[(text.length() - zeros) * 74 / 100 + 1];
    int length = 0;
    for (int i = zeros; i < text.length(); i++) {
      char c = text.charAt(i);
      int digit = c < 128 ? INDEXES[c] : -1;
      if (digit < 0) {
        throw new IllegalArgumentException(
            "'" + c + "' at index " + i + " is not a base58btc character");
      }
      int carry = digit;
      int j = 0;
      for (; j < length || carry != 0; j++) {
        carry += 58 * (bytes[j] & 0xFF);
        bytes[j] = (byte) carry;
        carry >>>= 8;
      }
      length = j;
    }
    byte[] out = new byte[zeros + length];
    for (int i = 0; i < length; i++) {
      out[zeros + i] = bytes[length - 1 - i];
    }
    return out;
  }
}
