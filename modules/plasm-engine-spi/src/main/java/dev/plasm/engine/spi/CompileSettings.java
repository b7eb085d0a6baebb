package dev.plasm.engine.spi;

import dev.plasm.api.ResourceLimits;
import java.util.Objects;

/**
 * What an engine may need to know when compiling.
 *
 * @param limits the limits later runs will use; an engine that caps memory at instantiation can
 *     ignore them here
 * @param meterFuel whether runs of this module will be fuel-metered (an interpreter can then
 *     compile a metering variant)
 */
public record CompileSettings(ResourceLimits limits, boolean meterFuel) {
  public CompileSettings {
    Objects.requireNonNull(limits, "limits");
  }
}
