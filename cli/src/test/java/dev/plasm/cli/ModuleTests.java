package dev.plasm.cli;

import dev.plasm.fixtures.ModuleRules;
import org.junit.jupiter.api.Test;

/** The module's allowed shape: the plasm command on the host and the daemon; nothing depends on it. */
class ModuleTests {

  @Test
  void hasItsDeclaredShape() {
    ModuleRules.of(Main.class)
        // plasm run, engines, plugins, identity, receipt: discovery, admission, the sandbox,
        // receipts.
        .requires("dev.plasm.host")
        // Manifests (--manifest) and the job's limits, outcome and usage as the daemon returns
        // them.
        .requires("dev.plasm.job")
        // plasm daemon runs the daemon in-process; submit and jobs read its DaemonConfig for the
        // address and token.
        .requires("dev.plasm.daemon")
        // (plasm submit / jobs / job / peers talk to a daemon over HTTP/1.1 on a plain socket:
        // DaemonHttp, no java.net.http, whose start-up cost every client command ~450 classes.)
        // The command line itself.
        .requires("info.picocli")
        // The --json output and the daemon's JSON replies.
        .requires("tools.jackson.databind")
        // The shell and the status line on a terminal; only classes a terminal uses name jline.
        .requires("org.jline.reader")
        // Main is the image's entry point.
        .exports("dev.plasm.cli")
        // picocli reads the annotated command classes reflectively.
        .opensTo("dev.plasm.cli", "info.picocli")
        .verify();
  }
}
