/**
 * The in-process half of the engine benchmark (bench/engines/run.sh): compiles a module once per
 * engine through the host's {@link dev.plasm.host.EngineRegistry} and runs it several times in one
 * JVM. Not part of the product; compiled by the script against jlink/target/modules.
 */
module dev.plasm.bench {
  requires dev.plasm.host;
}
