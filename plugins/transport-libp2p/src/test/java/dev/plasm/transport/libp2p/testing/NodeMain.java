package dev.plasm.transport.libp2p.testing;

import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.Connection;
import dev.plasm.transport.libp2p.Host;
import dev.plasm.transport.libp2p.Libp2pTransportProvider;
import dev.plasm.transport.libp2p.Multiaddr;
import dev.plasm.transport.libp2p.internal.transport.Libp2pTransport;
import dev.plasm.transport.spi.ConnectedPeer;
import dev.plasm.transport.spi.DhtKey;
import dev.plasm.transport.spi.PeerStream;
import dev.plasm.transport.spi.ReachSettings;
import dev.plasm.transport.spi.Reachability;
import dev.plasm.transport.spi.RelayServiceLimits;
import dev.plasm.transport.spi.Transport;
import dev.plasm.transport.spi.TransportLimits;
import dev.plasm.transport.spi.TransportSettings;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A Plasm libp2p node in a process of its own, started through the transport SPI as the daemon
 * starts it, for tests that need separate processes: nodes inside network namespaces, nodes that
 * are frozen with SIGSTOP. Driven like the js peer: one JSON line {@code {"event":"ready",...}},
 * then one answer per command line.
 *
 * <pre>
 * NodeMain --listen MULTIADDR... [--bootstrap MULTIADDR...] [--relays MULTIADDR...]
 *          [--relay-service] [--no-autonat] [--no-hole-punching] [--watchdog SECONDS]
 * </pre>
 *
 * <p>Commands ({@code {"id":N,"cmd":NAME,...}}): info, checkReachability, bootstrap, findPeer,
 * ping, echo, dial, connection, peers, get (with its duration), put, table, autonat.
 */
public final class NodeMain {
  static final String ECHO = "/plasm/test/echo/1.0.0";

  private NodeMain() {}

  public static void main(String[] args) throws Exception {
    List<String> listen = new ArrayList<>();
    List<String> bootstrap = new ArrayList<>();
    List<String> relays = new ArrayList<>();
    boolean relayService = false;
    boolean autoNat = true;
    boolean holePunching = true;
    long watchdog = 240;
    List<String> current = null;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--listen" -> current = listen;
        case "--bootstrap" -> current = bootstrap;
        case "--relays" -> current = relays;
        case "--relay-service" -> relayService = true;
        case "--no-autonat" -> autoNat = false;
        case "--no-hole-punching" -> holePunching = false;
        case "--watchdog" -> watchdog = Long.parseLong(args[++i]);
        default -> {
          if (current == null || args[i].startsWith("--")) {
            throw new IllegalArgumentException("unexpected argument " + args[i]);
          }
          current.add(args[i]);
          continue;
        }
      }
      if (!List.of("--listen", "--bootstrap", "--relays").contains(args[i])) {
        current = null;
      }
    }
    long deadline = watchdog;
    Thread.ofPlatform()
        .daemon()
        .start(
            () -> {
              try {
                Thread.sleep(Duration.ofSeconds(deadline));
              } catch (InterruptedException e) {
                return;
              }
              System.err.println("watchdog: exiting after " + deadline + " s");
              Runtime.getRuntime().halt(3);
            });

    byte[] seed = new byte[32];
    new SecureRandom().nextBytes(seed);
    TransportLimits limits =
        new TransportLimits(
            256, 64, 16 * 1024, 10_000, Duration.ofSeconds(5), Duration.ofSeconds(20));
    ReachSettings reach =
        new ReachSettings(autoNat, relays, relayService, RelayServiceLimits.DEFAULTS, holePunching);
    Transport t =
        new Libp2pTransportProvider()
            .start(
                new TransportSettings(listen, bootstrap, seed, "plasm/node-main", limits, reach));
    Host host = ((Libp2pTransport) t).host();
    t.setStreamHandler(
        ECHO,
        s -> {
          s.input().transferTo(s.output());
          s.closeWrite();
        });
    if (!bootstrap.isEmpty()) {
      Thread.startVirtualThread(t::bootstrap);
    }
    PrintStream out = new PrintStream(System.out, true, StandardCharsets.UTF_8);
    Map<String, Object> ready = new LinkedHashMap<>();
    ready.put("event", "ready");
    ready.put("peerId", t.peerId());
    ready.put("addrs", t.listenAddresses());
    out.println(Json.write(ready));

    BufferedReader in =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line; (line = in.readLine()) != null; ) {
      Map<String, Object> req = Json.object(line);
      Object id = req.get("id");
      Thread.startVirtualThread(
          () -> {
            Map<String, Object> res = new LinkedHashMap<>();
            res.put("id", id);
            try {
              res.putAll(run(t, host, req));
              res.put("ok", true);
            } catch (Exception e) {
              res.put("ok", false);
              res.put("error", e.toString());
            }
            synchronized (out) {
              out.println(Json.write(res));
            }
          });
    }
    t.close();
    System.exit(0);
  }

  private static Map<String, Object> run(Transport t, Host host, Map<String, Object> req)
      throws Exception {
    Map<String, Object> r = new LinkedHashMap<>();
    switch ((String) req.get("cmd")) {
      case "info" -> {
        r.put("peerId", t.peerId());
        r.put("addrs", t.listenAddresses());
        r.putAll(reachability(t.reachability()));
      }
      case "checkReachability" -> {
        host.checkReachability();
        r.putAll(reachability(t.reachability()));
      }
      case "bootstrap" -> r.put("peers", t.bootstrap());
      case "findPeer" ->
          t.findPeer((String) req.get("peer")).ifPresent(p -> r.put("addrs", p.addresses()));
      case "ping" -> r.put("rttMillis", t.ping((String) req.get("peer")).toNanos() / 1e6);
      case "echo" -> {
        try (PeerStream s = t.openStream((String) req.get("peer"), ECHO)) {
          s.output().write(((String) req.get("text")).getBytes(StandardCharsets.UTF_8));
          s.closeWrite();
          r.put("text", new String(s.input().readAllBytes(), StandardCharsets.UTF_8));
        }
      }
      case "dial" -> {
        Connection c = host.dial(Multiaddr.parse((String) req.get("addr")));
        r.put("remoteAddr", c.remoteAddr().toString());
        r.put("relayed", c.isRelayed());
      }
      case "connection" -> {
        PeerId peer = PeerId.parse((String) req.get("peer"));
        host.connection(peer)
            .ifPresent(
                c -> {
                  r.put("remoteAddr", c.remoteAddr().toString());
                  r.put("relayed", c.isRelayed());
                });
      }
      case "get" -> {
        long start = System.nanoTime();
        java.util.Optional<byte[]> v = t.getValue(new DhtKey((String) req.get("key")));
        r.put("millis", (System.nanoTime() - start) / 1_000_000);
        v.ifPresent(b -> r.put("value", new String(b, StandardCharsets.UTF_8)));
      }
      case "put" ->
          r.put(
              "stored",
              t.putValue(
                  new DhtKey((String) req.get("key")),
                  ((String) req.get("value")).getBytes(StandardCharsets.UTF_8)));
      case "table" ->
          r.put(
              "peers",
              ((Libp2pTransport) t)
                  .dht().routingTable().stream().map(p -> p.peer().toString()).toList());
      case "autonat" -> {
        long[] served =
            ((Libp2pTransport) t).core().autoNat().map(a -> a.served()).orElse(new long[2]);
        r.put("answered", served[0]);
        r.put("dialedBack", served[1]);
      }
      case "peers" -> {
        List<Object> ps = new ArrayList<>();
        for (ConnectedPeer p : t.peers()) {
          ps.add(
              Map.of(
                  "peer",
                  p.peerId(),
                  "addr",
                  p.addresses().getFirst(),
                  "direction",
                  p.direction().name()));
        }
        r.put("peers", ps);
      }
      default -> throw new IllegalArgumentException("unknown command " + req.get("cmd"));
    }
    return r;
  }

  private static Map<String, Object> reachability(Reachability reach) {
    Map<String, Object> r = new LinkedHashMap<>();
    r.put("status", reach.status().name());
    r.put("reachable", reach.reachableAddresses());
    r.put("observed", reach.observedAddresses());
    r.put("relayAddrs", reach.relayAddresses());
    return r;
  }
}
