package dev.plasm.api;

/** A resource limit a job runs under; each has its own outcome and CLI exit code. */
public enum Limit {
  /** Linear memory: initial size and {@code memory.grow} are capped. */
  MEMORY("memory", "--max-memory"),
  /** Table elements: initial size and {@code table.grow} are capped. */
  TABLE("table", "--max-table-elements"),
  /** Wall-clock time from the start of instantiation to the end of the run. */
  WALL_TIME("wall-time", "--timeout"),
  /** Instructions executed, on engines that can meter them. */
  FUEL("fuel", "--fuel"),
  /** Bytes written to stdout or to stderr, each counted on its own. */
  OUTPUT("output", "--max-output"),
  /** Size of the module binary, checked before it is parsed. */
  MODULE_SIZE("module-size", "--max-module-size");

  private final String id;
  private final String flag;

  Limit(String id, String flag) {
    this.id = id;
    this.flag = flag;
  }

  /** The stable lower-case name used in JSON output and documentation. */
  public String id() {
    return id;
  }

  /** The {@code plasm run} option that sets this limit. */
  public String flag() {
    return flag;
  }
}
