package dev.plasm.transport.spi;

/**
 * Serves inbound streams of one protocol; each call runs on its own (virtual) thread.
 *
 * <p>The stream is closed when the handler returns and reset if it throws.
 */
@FunctionalInterface
public interface StreamHandler {
  void handle(PeerStream stream) throws Exception;
}
