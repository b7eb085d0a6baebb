package dev.plasm.transport.libp2p;

import dev.plasm.api.PlasmException;

/**
 * The root of the errors the libp2p stack reports for protocol-level failures; plain socket
 * failures stay {@link java.io.IOException}s.
 *
 * <p>A peer that breaks a protocol rule (a malformed frame, an overlong varint, a bad signature) is
 * reported with a subclass so that callers can tell a hostile or buggy peer from a lost network.
 */
public class Libp2pException extends PlasmException {
  private static final long serialVersionUID = 1L;

  public Libp2pException(String message) {
    super(message);
  }

  public Libp2pException(String message, Throwable cause) {
    super(message, cause);
  }
}
