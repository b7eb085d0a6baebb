/**
 * The {@code plasm} command line: {@code run}, {@code engines}, {@code plugins}, {@code identity},
 * {@code receipt}, {@code daemon}, {@code submit}, {@code jobs}, {@code job}, {@code peers},
 * {@code dht}, {@code shell}, {@code completion}, {@code help}.
 */
module dev.plasm.cli {
  requires dev.plasm.host;
  // Manifests (--manifest) and the job's limits, outcome and usage as the daemon returns them.
  requires dev.plasm.job;
  requires dev.plasm.daemon;
  // plasm submit / jobs / job talk to a daemon over HTTP/1.1 on a plain socket (DaemonHttp says why
  // not java.net.http).
  requires info.picocli;
  // Only the --json paths touch Jackson, so plain runs never pay for loading it.
  requires tools.jackson.databind;
  // The shell (dev.plasm.cli.shell) and the status line on a terminal
  // (dev.plasm.cli.term.StatusLine).
  // Only those classes name jline, and they load only when a terminal is really used: plasm run on
  // a
  // pipe never loads a jline class. The terminal is jline's FFM provider (org.jline.terminal.ffm,
  // bound as a service of org.jline.terminal); it needs --enable-native-access, which bin/plasm
  // gives.
  requires org.jline.reader;

  // picocli reads the annotated command classes reflectively.
  opens dev.plasm.cli to
      info.picocli;

  exports dev.plasm.cli;
}
