package dev.plasm.host;

import dev.plasm.engine.spi.Determinism;
import dev.plasm.job.JobPlan;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.List;
import java.util.Objects;

/**
 * One admitted job for the {@link Sandbox}: its plan, the module's bytes, and this run's streams,
 * directories and recorded world.
 *
 * @param plan what was admitted (engine, limits, inputs); run as it is
 * @param module the module binary (its sha256 is the plan's)
 * @param stdin the guest's stdin
 * @param stdout where the guest's stdout goes (capped by the sandbox)
 * @param stderr where the guest's stderr goes (capped by the sandbox)
 * @param dirs host directories to preopen (only {@code plasm run} grants any)
 * @param determinism recorded clocks and random, exactly when the plan is deterministic
 */
public record Job(
    JobPlan plan,
    byte[] module,
    InputStream stdin,
    OutputStream stdout,
    OutputStream stderr,
    List<DirMapping> dirs,
    Determinism determinism) {

  public Job {
    Objects.requireNonNull(plan, "plan");
    Objects.requireNonNull(module, "module");
    Objects.requireNonNull(stdin, "stdin");
    Objects.requireNonNull(stdout, "stdout");
    Objects.requireNonNull(stderr, "stderr");
    dirs = List.copyOf(dirs);
    if (plan.deterministic() != (determinism != null)) {
      throw new IllegalArgumentException(
          "a deterministic plan needs a recorded world, and only it");
    }
  }

  /** How the module is named in messages: the guest's argv[0]. */
  public String moduleName() {
    return plan.programName();
  }
}
