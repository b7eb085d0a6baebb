package dev.plasm.transport.libp2p.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** Sends bytes through an echoing stream while reading the reply, as every transfer test does. */
public final class Echo {
  /** Closes the writing half of a stream (libp2p and Yamux streams each have their own type). */
  @FunctionalInterface
  public interface CloseWrite {
    void closeWrite() throws IOException;
  }

  private Echo() {}

  /**
   * Writes {@code data}, half-closes, and returns everything read back. Reading runs on its own
   * thread from the start, so flow control cannot deadlock the two directions.
   */
  public static byte[] roundTrip(
      InputStream in, OutputStream out, CloseWrite close, byte[] data, Duration timeout)
      throws Exception {
    var reader =
        CompletableFuture.supplyAsync(
            () -> {
              try {
                return in.readAllBytes();
              } catch (IOException e) {
                throw new UncheckedIOException(e);
              }
            },
            Thread::startVirtualThread);
    out.write(data);
    close.closeWrite();
    return reader.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
  }
}
