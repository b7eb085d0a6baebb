package dev.plasm.cli;

import dev.plasm.fixtures.ModuleRules;
import org.junit.jupiter.api.Test;

/** The module's allowed shape: the plasm command on the host and the daemon; nothing depends on it. */
class ModuleTests {

  @Test
  void hasItsDeclaredShape() {
    ModuleRules.of(Main.class)
        // plasm run, engines, plugins, identity, receipt: discovery, admission, the sandbox, receipts.
        .requires("dev.plasm.host")
        // Manifests (--manifest) and the job's limits, outcome and usage as the daemon returns them.
        .requires("dev.plasm.job")
        // plasm daemon runs the daemon in-process; submit and jobs read its DaemonConfig for the address and token.
        .requires("dev.plasm.daemon")
        // plasm submit / jobs / job / peers talk to a daemon over HTTP.
        .requires("java.net.http")
        // The command line itself.
        .requires("info.picocli")
        // plasm shell, completion and the status line (dev.plasm.cli.shell, term.StatusLine only: plasm run never loads it).
        .requires("org.jline.reader")
        // The --json output and the daemon's JSON replies.
        .requires("tools.jackson.databind")
        // Main is the image's entry point.
        .exports("dev.plasm.cli")
        // picocli reads the annotated command classes reflectively.
        .opensTo("dev.plasm.cli", "info.picocli")
        .verify();
  }
}
