package dev.plasm.transport.libp2p;

import java.util.List;

/** The remote side answered {@code na} to every protocol proposed in multistream-select. */
public class ProtocolNotSupportedException extends Libp2pException {
  private static final long serialVersionUID = 1L;
  private final String[] proposed;

  public ProtocolNotSupportedException(List<String> proposed) {
    super("the remote peer supports none of " + proposed);
    this.proposed = proposed.toArray(String[]::new);
  }

  public List<String> proposed() {
    return List.of(proposed);
  }
}
