/**
 * The {@code plasm} command line: {@code run}, {@code engines}, {@code plugins}, {@code identity},
 * {@code receipt}, {@code daemon}, {@code submit}, {@code jobs}, {@code job}, {@code help}.
 */
module dev.plasm.cli {
  requires dev.plasm.host;
  // Manifests (--manifest) and the job's limits, outcome and usage as the daemon returns them.
  requires dev.plasm.job;
  requires dev.plasm.daemon;
  // plasm submit / jobs / job talk to a daemon over HTTP.
  requires java.net.http;
  requires info.picocli;
  // Only the --json paths touch Jackson, so plain runs never pay for loading it.
  requires tools.jackson.databind;

  // picocli reads the annotated command classes reflectively.
  opens dev.plasm.cli to info.picocli;

  exports dev.plasm.cli;
}
