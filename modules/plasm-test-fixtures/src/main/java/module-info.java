/** WebAssembly test programs for Plasm's tests and for engine authors; see rebuild.sh. */
module dev.plasm.fixtures {
  exports dev.plasm.fixtures;
}
