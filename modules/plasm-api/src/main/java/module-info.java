/**
 * The job model shared by every Plasm module: resource limits, execution outcomes and the
 * exception hierarchy. It has no dependencies so that SDKs, engines and tools can all use it.
 */
module dev.plasm.api {
  exports dev.plasm.api;
}
