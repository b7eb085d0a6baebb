package dev.plasm.transport.libp2p;

/** A peer sent bytes that break the wire format (varint, protobuf, frame or message limits). */
public class MalformedMessageException extends Libp2pException {
  private static final long serialVersionUID = 1L;

  public MalformedMessageException(String message) {
    super(message);
  }

  public MalformedMessageException(String message, Throwable cause) {
    super(message, cause);
  }
}
