package dev.plasm.engine.spi;

/** How an engine executes WebAssembly; it drives start-up and throughput expectations. */
public enum ExecutionMode {
  /** Interprets instructions: fast to start, slow to run. */
  INTERPRETER("interpreter"),
  /** Compiles to JVM bytecode at run time, which HotSpot then compiles to machine code. */
  JVM_BYTECODE("jvm-bytecode"),
  /** Compiles to machine code itself (JIT or ahead of time). */
  NATIVE("native");

  private final String id;

  ExecutionMode(String id) {
    this.id = id;
  }

  public String id() {
    return id;
  }
}
