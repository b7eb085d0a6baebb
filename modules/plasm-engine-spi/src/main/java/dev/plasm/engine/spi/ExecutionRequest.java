package dev.plasm.engine.spi;

import dev.plasm.api.ResourceLimits;
import java.util.Objects;

/**
 * One run of a compiled module: its WASI world and its limits. A record so that fields can be added
 * later without breaking engines.
 */
public record ExecutionRequest(WasiConfig wasi, ResourceLimits limits) {
  public ExecutionRequest {
    Objects.requireNonNull(wasi, "wasi");
    Objects.requireNonNull(limits, "limits");
  }
}
