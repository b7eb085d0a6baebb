/**
 * A job on the wire: the manifest a requester writes, the plan a node admits it as, and how it
 * ended. One strict JSON form for each, shared by {@code plasm run --manifest}, {@code plasm submit},
 * {@code POST /v1/jobs}, the job store, worker processes and the peer-to-peer job protocol.
 */
module dev.plasm.job {
  requires transitive dev.plasm.api;
  // The codec reads and writes Jackson trees, which callers embed in their own documents.
  requires transitive tools.jackson.databind;

  exports dev.plasm.job;
}
