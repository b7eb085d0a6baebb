package dev.plasm.cli;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;

/** What {@code plasm peers} and {@code plasm dht} share: key encoding, failures, exit codes. */
final class P2pCommands {
  /** The exit codes listed by their {@code --help}. */
  static final String[] EXIT_CODES = {
    "0:success",
    ExitCodes.USAGE
        + ":bad usage, or the daemon refused the input (a key outside /plasm/, a bad peer id, a value too large)",
    ExitCodes.NO_INPUT
        + ":not found (dht get: no value; dht find-peer: no such peer), or an input file is missing",
    DaemonClient.UNAVAILABLE
        + ":no daemon answers, or its p2p is off ([p2p] enabled = true in its config)",
    DaemonClient.TRY_LATER + ":the daemon's p2p node failed the operation; try again",
    DaemonClient.NO_PERMISSION + ":the daemon refused the token",
  };

  private P2pCommands() {}

  /** A DHT key as one percent-encoded path segment ({@code /plasm/a b} → {@code %2Fplasm%2Fa%20b}). */
  static String segment(String key) {
    return URLEncoder.encode(key, StandardCharsets.UTF_8).replace("+", "%20");
  }

  /** Reports a failed client call, with its hint, and returns its exit code. */
  static int fail(Printer printer, String command, DaemonClient.Failure f) {
    printer.fail(command, f);
    if ("p2p-disabled".equals(f.apiCode)) {
      return DaemonClient.UNAVAILABLE;
    }
    if ("p2p-failed".equals(f.apiCode)) {
      return DaemonClient.TRY_LATER;
    }
    return f.exitCode;
  }
}
