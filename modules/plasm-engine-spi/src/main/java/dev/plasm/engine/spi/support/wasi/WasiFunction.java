package dev.plasm.engine.spi.support.wasi;

import java.util.List;
import java.util.Objects;

/**
 * One function of {@code wasi_snapshot_preview1}, for an engine to expose as a host function.
 *
 * @param name the import name, e.g. {@code fd_write}
 * @param params the parameter types, in order
 * @param hasResult whether it returns one {@code i32} (the errno); only {@code proc_exit} does not
 * @param body the implementation
 */
public record WasiFunction(String name, List<Type> params, boolean hasResult, Body body) {
  /** A WebAssembly value type of the WASI ABI. */
  public enum Type {
    I32,
    I64
  }

  /** The call itself. */
  @FunctionalInterface
  public interface Body {
    /**
     * Runs the call. Arguments come as the engine holds them ({@code i32} in the low 32 bits).
     *
     * @return the errno ({@code 0} for success); ignored when the function has no result
     * @throws WasiExitException from {@code proc_exit}
     * @throws GuestInterruptedException when the thread was interrupted in a blocking call
     * @throws RuntimeException what the run's streams threw (e.g. the host's output cap), unchanged
     */
    int call(GuestMemory memory, long[] args);
  }

  public WasiFunction {
    Objects.requireNonNull(name, "name");
    params = List.copyOf(params);
    Objects.requireNonNull(body, "body");
  }
}
