package dev.plasm.job;

import dev.plasm.api.ResourceLimits;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A job as a node admitted it: the module by digest, the guest's inputs, the engine chosen and the
 * limits in force. Made once (by {@code plasm run}, or by a daemon when it accepts a job), stored
 * with the job, and executed as it is: nothing downstream chooses again.
 *
 * @param moduleSha256 the module's sha256 (hex)
 * @param moduleBytes the module's size
 * @param programName the guest's {@code argv[0]}
 * @param args the guest's arguments after {@code argv[0]}
 * @param env environment variables, in order
 * @param stdinBytes the size of the stdin given with the job (-1 when it is a stream read as the job runs)
 * @param engine the engine that runs it
 * @param limits the limits it runs under
 * @param deterministic whether the guest gets recorded clocks and random
 * @param nonce the requester's nonce for the receipt, or null
 */
public record JobPlan(
    String moduleSha256,
    long moduleBytes,
    String programName,
    List<String> args,
    Map<String, String> env,
    long stdinBytes,
    Engine engine,
    ResourceLimits limits,
    boolean deterministic,
    String nonce) {

  /**
   * An engine by id and version, as chosen at admission; for a job sent to other nodes, the engine
   * asked for ({@link #asked}) until an executor's answer says which it ran.
   *
   * @param id the engine's id ({@code auto} only when asked for)
   * @param version its version when it was chosen; empty when it was only asked for
   */
  public record Engine(String id, String version) {
    public Engine {
      Objects.requireNonNull(id, "id");
      Objects.requireNonNull(version, "version");
    }

    /** The engine a requester asked for ({@code auto} or an id), which another node will choose. */
    public static Engine asked(String id) {
      return new Engine(id, "");
    }

    /** Whether an engine was chosen (it has a version), not only asked for. */
    public boolean chosen() {
      return !version.isEmpty();
    }
  }

  public JobPlan {
    Objects.requireNonNull(moduleSha256, "moduleSha256");
    Objects.requireNonNull(programName, "programName");
    args = List.copyOf(args);
    env = Collections.unmodifiableMap(new LinkedHashMap<>(env));
    Objects.requireNonNull(engine, "engine");
    Objects.requireNonNull(limits, "limits");
  }

  /**
   * The same job as the node that ran it stated it (a requester's plan once an executor's answer is
   * accepted): the engine it chose and the limits it applied.
   */
  public JobPlan ranWith(Engine ran, ResourceLimits applied) {
    return new JobPlan(
        moduleSha256,
        moduleBytes,
        programName,
        args,
        env,
        stdinBytes,
        ran,
        applied,
        deterministic,
        nonce);
  }
}
