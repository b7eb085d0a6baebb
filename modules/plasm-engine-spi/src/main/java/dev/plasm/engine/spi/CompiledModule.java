package dev.plasm.engine.spi;

import dev.plasm.api.ExecutionOutcome;

/** A module compiled by one engine; each {@link #run} makes a fresh instance. */
public interface CompiledModule {

  /** The id of the engine that compiled it. */
  String engineId();

  /**
   * Instantiates the module and calls its {@code _start} export once, on the calling thread.
   *
   * <p>Contract for implementations:
   *
   * <ul>
   *   <li>MUST NOT throw for anything the guest does: traps, {@code proc_exit}, unlinkable imports,
   *       a missing {@code _start}, limit breaches and errors inside the engine are all returned as
   *       an {@link ExecutionOutcome}.
   *   <li>MUST enforce the limits its {@link EngineDescriptor#enforcedLimits()} names.
   *   <li>MUST stop soon after the calling thread is interrupted where it claims to enforce the
   *       wall-clock limit, and SHOULD stop where it can otherwise.
   *   <li>MUST report a {@link dev.plasm.api.LimitExceededException} thrown by one of the request's
   *       streams as {@link ExecutionOutcome.LimitExceeded} with the same limit.
   *   <li>MUST NOT give the guest access to host files other than through the request's preopens.
   *   <li>MUST, when {@link WasiConfig#determinism()} is set, answer every WASI clock read and
   *       {@code random_get} from it exactly as {@link Determinism} specifies.
   * </ul>
   */
  ExecutionOutcome run(ExecutionRequest request);
}
