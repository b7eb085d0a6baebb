package dev.plasm.transport.libp2p;

import dev.plasm.identity.PeerId;

/** The peer that answered proved a different identity than the {@code /p2p/} id that was dialed. */
public class PeerIdMismatchException extends HandshakeException {
  private static final long serialVersionUID = 1L;
  private final transient PeerId expected;
  private final transient PeerId actual;

  public PeerIdMismatchException(PeerId expected, PeerId actual) {
    super("dialed " + expected + " but the remote peer is " + actual);
    this.expected = expected;
    this.actual = actual;
  }

  public PeerId expected() {
    return expected;
  }

  public PeerId actual() {
    return actual;
  }
}
