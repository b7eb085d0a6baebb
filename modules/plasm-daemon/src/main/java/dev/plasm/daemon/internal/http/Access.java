package dev.plasm.daemon.internal.http;

import dev.plasm.daemon.internal.store.ModuleStore;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;

/**
 * Who may talk to the API: the Host header must name this daemon (a web page that rebinds a DNS
 * name to 127.0.0.1 cannot reach it), and every path but {@code /healthz} needs the bearer token.
 */
final class Access {
  private final byte[] tokenHash;
  private final Set<String> allowedHosts = new HashSet<>();
  private final boolean anyHost;
  private final int port;

  Access(String token, String configuredHost, InetSocketAddress bound) {
    this.tokenHash = sha256(token.getBytes(StandardCharsets.UTF_8));
    this.port = bound.getPort();
    InetAddress a = bound.getAddress();
    this.anyHost = a.isAnyLocalAddress();
    allowedHosts.add(hostPort(configuredHost, port));
    allowedHosts.add(hostPort(a.getHostAddress(), port));
    if (a.isLoopbackAddress() || anyHost) {
      allowedHosts.add("localhost:" + port);
      allowedHosts.add("127.0.0.1:" + port);
      allowedHosts.add("[::1]:" + port);
    }
    if (port == 80) {
      for (String h : List.copyOf(allowedHosts)) {
        allowedHosts.add(h.substring(0, h.lastIndexOf(':')));
      }
    }
  }

  private static String hostPort(String host, int port) {
    return (host.contains(":") && !host.startsWith("[") ? "[" + host + "]" : host)
            .toLowerCase(Locale.ROOT)
        + ":"
        + port;
  }

  void checkHost(Exchange ex) {
    String host = ex.header("Host");
    if (host == null) {
      throw new ApiException(400, "bad-host", "Host", "the request has no Host header");
    }
    String h = host.strip().toLowerCase(Locale.ROOT);
    if (allowedHosts.contains(h)) {
      return;
    }
    if (anyHost) {
      // Bound to every address: accept IP literals with our port (never a DNS name that could
      // rebind).
      int colon = h.lastIndexOf(':');
      String name = colon > 0 ? h.substring(0, colon) : h;
      if (name.matches("[0-9.]+|\\[[0-9a-f:.]+]") && h.endsWith(":" + port)) {
        return;
      }
    }
    throw new ApiException(
        421,
        "bad-host",
        "Host",
        "the Host header '"
            + host
            + "' is not this daemon's address; use "
            + allowedHosts.iterator().next());
  }

  void checkToken(Exchange ex) {
    String auth = ex.header("Authorization");
    byte[] given =
        auth != null && auth.regionMatches(true, 0, "Bearer ", 0, 7)
            ? auth.substring(7).strip().getBytes(StandardCharsets.UTF_8)
            : new byte[0];
    // Hashing first makes the comparison constant-time in the token's length as well as its
    // content.
    if (!MessageDigest.isEqual(sha256(given), tokenHash) || given.length == 0) {
      throw new ApiException(
          401,
          "unauthorized",
          "Authorization",
          "a bearer token is required: send 'Authorization: Bearer TOKEN' with the token in the daemon's state directory (file 'token')",
          Map.of("WWW-Authenticate", "Bearer realm=\"plasm\""));
    }
  }

  private static byte[] sha256(byte[] b) {
    return ModuleStore.sha256().digest(b);
  }
}
