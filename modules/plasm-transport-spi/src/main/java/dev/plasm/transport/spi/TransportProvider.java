package dev.plasm.transport.spi;

/**
 * The entry point of a transport plugin, found with {@link java.util.ServiceLoader}.
 *
 * <p>Implementations MUST have a public no-argument constructor that does no work beyond field
 * initialisation: the daemon constructs every provider to find the one configured. Opening sockets
 * and starting threads belongs in {@link #start}.
 */
public interface TransportProvider {

  /** The SPI version this interface describes; the daemon refuses providers built for another. */
  int SPI_VERSION = 1;

  /** Describes the transport; MUST be cheap and MUST return equal values on every call. */
  TransportDescriptor descriptor();

  /** The SPI version the provider was built against; the default is this interface's. */
  default int spiVersion() {
    return SPI_VERSION;
  }

  /**
   * Starts a node: binds every listen address, then contacts the bootstrap peers in the
   * background (a bootstrap peer that is down MUST NOT fail the start).
   *
   * @throws InvalidInputException if a listen or bootstrap address cannot be parsed (the field
   *     names the setting, e.g. {@code listen[0]})
   * @throws TransportException if a listen address cannot be bound
   */
  Transport start(TransportSettings settings);
}
