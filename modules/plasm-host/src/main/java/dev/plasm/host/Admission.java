package dev.plasm.host;

import dev.plasm.api.ConfigurationException;
import dev.plasm.api.Limit;
import dev.plasm.api.LimitValueException;
import dev.plasm.api.ResourceLimits;
import dev.plasm.engine.spi.Capability;
import dev.plasm.engine.spi.EngineDescriptor;
import dev.plasm.job.JobManifest;
import dev.plasm.job.JobPlan;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;

/**
 * Admits a job: turns what a requester asked for ({@link JobManifest}) into what this node will run
 * ({@link JobPlan}), once. Limits are the requested ones within the node's caps, or the node's
 * defaults; the engine is the one named, or for {@code auto} the registry's choice for this job; a
 * job whose needs no engine here can meet is refused. {@code plasm run} and the daemon admit jobs
 * the same way; only their {@link Policy} differs.
 */
public final class Admission {
  /**
   * What a node gives a job.
   *
   * @param defaults the value of each limit a job does not ask for (an optional limit absent here
   *     stays unset)
   * @param caps the most a job may ask for, per limit (absent: the limit's own maximum)
   * @param capReasons why a cap is what it is, for the message of a job over it (absent: "this
   *     node's limit")
   */
  public record Policy(
      ResourceLimits defaults, Map<Limit, Long> caps, Map<Limit, String> capReasons) {
    public Policy {
      Objects.requireNonNull(defaults, "defaults");
      caps = Map.copyOf(caps);
      capReasons = Map.copyOf(capReasons);
    }

    /** A node's limits, which are both what a job gets and the most it may ask for (the daemon). */
    public static Policy node(ResourceLimits limits) {
      return new Policy(limits, limits.values(), Map.of());
    }

    /** Defaults that a job may raise up to each limit's own maximum ({@code plasm run}). */
    public static Policy local(ResourceLimits defaults) {
      return new Policy(defaults, Map.of(), Map.of());
    }

    /** The same policy with one more cap. */
    public Policy withCap(Limit limit, long cap, String reason) {
      Map<Limit, Long> c = new EnumMap<>(Limit.class);
      c.putAll(caps);
      c.put(limit, cap);
      Map<Limit, String> r = new EnumMap<>(Limit.class);
      r.putAll(capReasons);
      r.put(limit, reason);
      return new Policy(defaults, c, r);
    }

    long cap(Limit l) {
      return caps.getOrDefault(l, l.max());
    }
  }

  /** A module as admission sees it: its digest and size (its bytes are not needed to admit it). */
  public record ModuleInfo(String sha256, long bytes) {
    public ModuleInfo {
      Objects.requireNonNull(sha256, "sha256");
    }
  }

  private final EngineRegistry registry;
  private final Policy policy;

  public Admission(EngineRegistry registry, Policy policy) {
    this.registry = Objects.requireNonNull(registry, "registry");
    this.policy = Objects.requireNonNull(policy, "policy");
  }

  public Policy policy() {
    return policy;
  }

  /**
   * Admits a job.
   *
   * @param programName the guest's {@code argv[0]} when the manifest names none
   * @param stdinBytes the size of the stdin given with the job, or -1 for a stream
   * @throws LimitValueException for a limit over the node's cap
   * @throws ConfigurationException naming {@code engine}, {@code limits.fuel} or {@code
   *     deterministic} for a job no engine here can run
   */
  public JobPlan admit(JobManifest m, ModuleInfo module, String programName, long stdinBytes) {
    ResourceLimits limits = limits(m.limits());
    EngineDescriptor d = engine(m.engine(), limits, m.deterministic(), module.bytes());
    return plan(
        m, module, programName, stdinBytes, new JobPlan.Engine(d.id(), d.version()), limits);
  }

  /**
   * Admits a job this node sends to other nodes: its limits as {@link #admit} makes them, its engine
   * as asked ({@link JobPlan.Engine#asked}): the executor chooses, and its accepted answer says
   * which it ran ({@link JobPlan#ranWith}).
   *
   * @throws LimitValueException for a limit over this policy's cap
   */
  public JobPlan forElsewhere(
      JobManifest m, ModuleInfo module, String programName, long stdinBytes) {
    return plan(
        m, module, programName, stdinBytes, JobPlan.Engine.asked(m.engine()), limits(m.limits()));
  }

  private static JobPlan plan(
      JobManifest m,
      ModuleInfo module,
      String programName,
      long stdinBytes,
      JobPlan.Engine engine,
      ResourceLimits limits) {
    return new JobPlan(
        module.sha256(),
        module.bytes(),
        m.programName() != null ? m.programName() : programName,
        m.args(),
        m.env(),
        stdinBytes,
        engine,
        limits,
        m.deterministic(),
        m.nonce());
  }

  /** The limits a job gets for what it asked. */
  public ResourceLimits limits(Map<Limit, Long> requested) {
    Map<Limit, Long> out = new EnumMap<>(Limit.class);
    for (Limit l : Limit.values()) {
      Long asked = requested.get(l);
      Long value =
          asked != null
              ? asked
              : policy.defaults().get(l).isPresent() ? policy.defaults().get(l).getAsLong() : null;
      if (value == null) {
        continue;
      }
      long cap = policy.cap(l);
      if (value > cap) {
        String reason = policy.capReasons().get(l);
        throw new LimitValueException(
            l,
            (asked == null ? "the default " : "")
                + l.format(value)
                + " is over "
                + (reason != null ? reason : "this node's limit of " + l.format(cap)));
      }
      out.put(l, value);
    }
    return new ResourceLimits(out);
  }

  /**
   * The engine for a job: the one named, or for {@code auto} the registry's choice among those that
   * can meter fuel when the job is metered and give recorded clocks and random when it is deterministic.
   */
  public EngineDescriptor engine(
      String id, ResourceLimits limits, boolean deterministic, long moduleBytes) {
    boolean fuel = limits.fuel().isPresent();
    EngineDescriptor d =
        registry
            .choose(id, fuel, deterministic, (int) Math.min(moduleBytes, Integer.MAX_VALUE))
            .descriptor();
    if (fuel && !d.enforces(Limit.FUEL)) {
      throw new ConfigurationException(
          "limits.fuel",
          "engine '"
              + d.id()
              + "' cannot meter fuel; drop the fuel limit or "
              + "choose an engine that can"
              + engines(e -> e.enforces(Limit.FUEL)));
    }
    if (deterministic && !d.has(Capability.DETERMINISTIC_WASI)) {
      throw new ConfigurationException(
          "deterministic",
          "engine '"
              + d.id()
              + "' cannot give recorded clocks and random; choose an engine that can"
              + engines(e -> e.has(Capability.DETERMINISTIC_WASI)));
    }
    return d;
  }

  private String engines(Predicate<EngineDescriptor> p) {
    List<String> ids =
        registry.engines().stream()
            .map(EngineInfo::descriptor)
            .filter(p)
            .map(EngineDescriptor::id)
            .toList();
    return ids.isEmpty() ? "" : " (" + String.join(", ", ids) + ")";
  }
}
