package dev.plasm.job;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Where a job may run: on this node ({@code local}), on another one ({@code remote}), wherever
 * suits (the default, {@code any}: here when this node can run it), or on one named peer.
 *
 * @param kind which of the four
 * @param peerId the peer for {@link Kind#PEER}, else null
 */
public record Placement(Kind kind, String peerId) {
  /** The four kinds of placement. */
  public enum Kind {
    LOCAL,
    REMOTE,
    ANY,
    PEER
  }

  /** Base58btc peer ids ({@code 12D3KooW...}, {@code Qm...}) and CIDv1 ones ({@code bafz...}), by shape. */
  public static final Pattern PEER_ID =
      Pattern.compile("[1-9A-HJ-NP-Za-km-z]{32,128}|b[a-z2-7]{32,128}");

  public static final Placement LOCAL = new Placement(Kind.LOCAL, null);
  public static final Placement REMOTE = new Placement(Kind.REMOTE, null);
  public static final Placement ANY = new Placement(Kind.ANY, null);

  public Placement {
    Objects.requireNonNull(kind, "kind");
    if ((kind == Kind.PEER) != (peerId != null)) {
      throw new IllegalArgumentException("a peer id is given exactly for a PEER placement");
    }
  }

  /** A placement on one peer. */
  public static Placement peer(String peerId) {
    return new Placement(Kind.PEER, peerId);
  }

  /** The JSON text: {@code local}, {@code remote}, {@code any} or the peer id. */
  public String text() {
    return kind == Kind.PEER ? peerId : kind.name().toLowerCase(java.util.Locale.ROOT);
  }

  /** Parses the JSON text; null when it is none of the four. */
  public static Placement parse(String text) {
    return switch (text) {
      case "local" -> LOCAL;
      case "remote" -> REMOTE;
      case "any" -> ANY;
      default -> PEER_ID.matcher(text).matches() ? peer(text) : null;
    };
  }
}
