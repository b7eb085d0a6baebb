package dev.plasm.transport.libp2p.testing;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;

/**
 * Network namespaces for tests that need more than loopback: a switch (a bridge in its own
 * namespace) standing for the internet, hosts on it, and home routers that NAT a LAN behind them
 * (veth pairs, nftables masquerade). Everything is created by the test and removed by {@link
 * #close()}; traffic never leaves these namespaces. Needs root, {@code ip} (iproute2) and {@code
 * nft} (nftables); where they are missing, the test is skipped with a message saying what is.
 */
public final class NetLab implements AutoCloseable {
  /** The internet switch's address plan: 11.0.0.0/8, a block js-libp2p does not count as private. */
  public static final String INTERNET_PREFIX = "11.";

  private static final String INET = "inet";

  private final String prefix;
  private final List<String> namespaces = new ArrayList<>();
  private int links;

  private NetLab(String prefix) {
    this.prefix = prefix;
  }

  /** A lab with its internet switch, or the calling test skipped if namespaces cannot be made. */
  public static NetLab create() throws IOException, InterruptedException {
    String prefix =
        "pl"
            + ProcessHandle.current().pid() % 100000
            + "x"
            + Long.toString(System.nanoTime() % 46656, 36);
    NetLab lab = new NetLab(prefix);
    String why = lab.cannot();
    Assumptions.assumeTrue(
        why == null, () -> "skipped: cannot build network namespaces here: " + why);
    lab.namespace(INET);
    lab.sh(INET, "ip link add br0 type bridge && ip link set br0 up");
    return lab;
  }

  /** Why namespaces cannot be made here, or null. */
  private String cannot() throws InterruptedException {
    try {
      Result r = run(List.of("ip", "netns", "add", prefix + "-probe"));
      if (r.code != 0) {
        return "ip netns add failed (root and CAP_SYS_ADMIN are needed): " + r.output.strip();
      }
      run(List.of("ip", "netns", "del", prefix + "-probe"));
      Result nft = run(List.of("nft", "--version"));
      if (nft.code != 0) {
        return "nft does not run (install nftables): " + nft.output.strip();
      }
      return null;
    } catch (IOException e) {
      return e.getMessage() + " (install iproute2 and nftables)";
    }
  }

  /** The namespace's full name, for {@code ip netns exec}. */
  public String ns(String name) {
    return prefix + "-" + name;
  }

  /** The command prefix that runs a process inside namespace {@code name}. */
  public List<String> exec(String name) {
    return List.of("ip", "netns", "exec", ns(name));
  }

  private void namespace(String name) throws IOException, InterruptedException {
    check(run(List.of("ip", "netns", "add", ns(name))), "ip netns add " + ns(name));
    namespaces.add(ns(name));
    sh(name, "ip link set lo up");
  }

  /**
   * A host on the internet switch: namespace {@code name} with address {@code ip} (in 11.0.0.0/8).
   */
  public void internetHost(String name, String ip) throws IOException, InterruptedException {
    namespace(name);
    attach(name, "eth0", ip);
  }

  /** Plugs namespace {@code name} into the switch with a veth whose inside end is {@code ifName}. */
  private void attach(String name, String ifName, String ip)
      throws IOException, InterruptedException {
    String outside = "v" + (++links) + prefix.substring(prefix.length() - 3);
    check(
        run(
            List.of(
                "ip", "link", "add", outside, "netns", ns(INET), "type", "veth", "peer", "name",
                ifName, "netns", ns(name))),
        "veth " + outside);
    sh(INET, "ip link set " + outside + " master br0 && ip link set " + outside + " up");
    sh(name, "ip addr add " + ip + "/8 dev " + ifName + " && ip link set " + ifName + " up");
  }

  /**
   * A home network: a router namespace {@code name + "-router"} with outside address {@code wanIp}
   * on the switch, NATing the LAN 192.168.{@code lan}.0/24 behind it, and a host namespace {@code
   * name} at 192.168.{@code lan}.2 with the router as its default route. The router masquerades
   * (Linux keeps the source port when it can: hole punching works through it) or, with {@code
   * randomPorts}, maps every flow to a random port (a symmetric NAT: hole punching cannot work).
   * Like a home router it drops any new connection from outside, to itself or to the LAN.
   */
  public void natHost(String name, String wanIp, int lan, boolean randomPorts)
      throws IOException, InterruptedException {
    String router = name + "-router";
    namespace(router);
    namespace(name);
    attach(router, "wan", wanIp);
    check(
        run(
            List.of(
                "ip",
                "link",
                "add",
                "lan",
                "netns",
                ns(router),
                "type",
                "veth",
                "peer",
                "name",
                "eth0",
                "netns",
                ns(name))),
        "lan veth");
    sh(
        router,
        "ip addr add 192.168."
            + lan
            + ".1/24 dev lan && ip link set lan up && sysctl -qw net.ipv4.ip_forward=1");
    sh(
        name,
        "ip addr add 192.168."
            + lan
            + ".2/24 dev eth0 && ip link set eth0 up && ip route add default via 192.168."
            + lan
            + ".1");
    String nft =
        """
        table ip nat {
          chain postrouting { type nat hook postrouting priority srcnat; oifname "wan" masquerade%s; }
        }
        table inet filter {
          chain input { type filter hook input priority filter; iifname "wan" ct state new drop; }
          chain forward { type filter hook forward priority filter; iifname "wan" ct state new drop; }
        }
        """
            .formatted(randomPorts ? " fully-random" : "");
    Result r = run(List.of("ip", "netns", "exec", ns(router), "nft", "-f", "-"), nft);
    check(r, "nft rules in " + ns(router));
  }

  /** Runs a shell command inside namespace {@code name}; fails the test if it fails. */
  public void sh(String name, String command) throws IOException, InterruptedException {
    check(
        run(List.of("ip", "netns", "exec", ns(name), "sh", "-c", command)),
        command + " in " + ns(name));
  }

  private record Result(int code, String output) {}

  private static Result run(List<String> cmd) throws IOException, InterruptedException {
    return run(cmd, null);
  }

  private static Result run(List<String> cmd, String stdin)
      throws IOException, InterruptedException {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    if (stdin != null) {
      p.getOutputStream().write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("timed out: " + String.join(" ", cmd));
    }
    return new Result(p.exitValue(), out);
  }

  private static void check(Result r, String what) throws IOException {
    if (r.code != 0) {
      throw new IOException(what + " failed (exit " + r.code + "): " + r.output.strip());
    }
  }

  /** Removes every namespace (and with them their interfaces, routes and rules). */
  @Override
  public void close() throws IOException, InterruptedException {
    for (String ns : namespaces.reversed()) {
      run(List.of("ip", "netns", "del", ns));
    }
    namespaces.clear();
  }
}
