package dev.plasm.cli;

/** The one-line hint printed under an error: what to do about it. */
final class Hints {
  private Hints() {}

  /** The hint for a failed call to a daemon made by {@code command} (e.g. "plasm jobs"). */
  static String of(DaemonClient.Failure f, String command) {
    if (f.getMessage().equals("interrupted")) {
      return null; // Ctrl-C: nothing to fix
    }
    if ("p2p-disabled".equals(f.apiCode)) {
      return "start the daemon with --p2p, or set enabled = true under [p2p] in its config (docs/config.md)";
    }
    if ("p2p-failed".equals(f.apiCode)) {
      return "the daemon's p2p node could not do it now; try again in a moment";
    }
    return switch (f.exitCode) {
      case DaemonClient.UNAVAILABLE ->
          "start a daemon with 'plasm daemon', or give the address of one with --daemon HOST:PORT or $PLASM_DAEMON";
      case DaemonClient.NO_PERMISSION ->
          "give the daemon's token with --token-file FILE or $PLASM_TOKEN (the file 'token' in its state directory)";
      case DaemonClient.TRY_LATER -> "the daemon is busy; try again in a moment";
      case ExitCodes.USAGE -> "see '" + command + " --help'";
      case ExitCodes.NO_INPUT ->
          command.startsWith("plasm job ") ? "list the jobs with 'plasm jobs'" : null;
      default -> null;
    };
  }

  /** The hint for a bad command line or setting. */
  static String usage(String command) {
    return "see '" + command + " --help'";
  }
}
