package dev.plasm.daemon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.api.ConfigurationException;
import dev.plasm.daemon.internal.config.ConfigReader;
import dev.plasm.transport.spi.ReachSettings;
import dev.plasm.transport.spi.RelayServiceLimits;
import dev.plasm.transport.spi.TransportLimits;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The {@code [p2p]} table of the daemon's TOML: defaults, every key, errors naming the key, the docs. */
class P2pConfigTests {
  private static final String PEER = "12D3KooWD3eckifWpRn9wQpMG9R9hX3sD158z7EqHWmweQAJU5SA";

  static DaemonConfig parse(String toml) {
    return DaemonConfig.parse(Path.of("test.toml"), toml);
  }

  @Test
  void p2pIsOffByDefaultOnLoopback() {
    P2pConfig p = parse("").p2p();
    assertFalse(p.enabled());
    assertEquals("libp2p", p.transport());
    assertEquals(List.of("/ip4/127.0.0.1/tcp/4001"), p.listen());
    assertEquals(List.of(), p.bootstrap());
    assertEquals(TransportLimits.DEFAULTS, p.limits());
    assertEquals(ReachSettings.DEFAULTS, p.reach());
    assertTrue(p.reach().autoNat() && p.reach().holePunching() && !p.reach().relayService());
    assertTrue(parse("").withP2pEnabled(true).p2p().enabled());
  }

  @Test
  void everyKeyIsRead() {
    P2pConfig p =
        parse(
                """
        [p2p]
        enabled = true
        transport = "libp2p"
        listen = ["/ip4/0.0.0.0/tcp/4002", "/ip6/::1/tcp/0"]
        bootstrap = ["/ip4/192.0.2.7/tcp/4001/p2p/%s"]
        max-inbound-streams = 32
        max-pending-handshakes = 8
        max-value-size = "4KiB"
        max-records = 500
        dial-timeout = "3s"
        query-timeout = "20s"
        autonat = false
        relays = ["/ip4/192.0.2.9/udp/4001/quic-v1/p2p/%s"]
        hole-punching = false
        relay-service = true
        relay-max-reservations = 10
        relay-max-circuits = 5
        relay-circuit-duration = "30s"
        relay-circuit-bytes = "1MiB"
        """
                    .formatted(PEER, PEER))
            .p2p();
    assertTrue(p.enabled());
    assertEquals(List.of("/ip4/0.0.0.0/tcp/4002", "/ip6/::1/tcp/0"), p.listen());
    assertEquals(List.of("/ip4/192.0.2.7/tcp/4001/p2p/" + PEER), p.bootstrap());
    assertEquals(
        new TransportLimits(32, 8, 4096, 500, Duration.ofSeconds(3), Duration.ofSeconds(20)),
        p.limits());
    RelayServiceLimits d = RelayServiceLimits.DEFAULTS;
    assertEquals(
        new ReachSettings(
            false,
            List.of("/ip4/192.0.2.9/udp/4001/quic-v1/p2p/" + PEER),
            true,
            new RelayServiceLimits(
                10,
                d.maxReservationsPerIp(),
                d.reservationTtl(),
                5,
                d.maxCircuitsPerPeer(),
                Duration.ofSeconds(30),
                1 << 20),
            false),
        p.reach());
  }

  /**
   * Both text forms of the peer-ids spec are peer ids to the config as to the transport: base58btc
   * (Ed25519 {@code 12D3KooW}, secp256k1 {@code 16Uiu2}, hashed {@code Qm}) and CIDv1 ({@code bafz}).
   */
  @Test
  void bootstrapAndRemotePeersMayBeWrittenInEitherTextFormOfAPeerId() {
    String cid = "bafzaajaiaejcahwr5d5ofrfbis4l5d6uwr57hu5tjodrypfm6yaq6dsc2r2pzyt6";
    String base58 = "12D3KooWBtg3aaRMjxwedh83aGiUkwSxDwUZkzuJcfaqUmo7R3pq"; // the same key
    List<String> bootstrap =
        List.of(
            "/ip4/192.0.2.7/tcp/4001/p2p/" + cid,
            "/ip4/192.0.2.8/tcp/4001/p2p/16Uiu2HAmLhLvBoYaoZfaMUKuibM6ac163GwKY74c5kiSLg5KvLpY",
            "/ip4/192.0.2.9/tcp/4001/p2p/QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N");
    DaemonConfig c =
        parse(
            """
        [p2p]
        enabled = true
        bootstrap = ["%s", "%s", "%s"]
        [remote]
        enabled = true
        allow = ["%s"]
        deny = ["bafzbeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe"]
        """
                .formatted(bootstrap.get(0), bootstrap.get(1), bootstrap.get(2), cid));
    // The transport reads the addresses as written.
    assertEquals(bootstrap, c.p2p().bootstrap());
    // Peers are compared with the ids the transport reports, so the config keeps the base58btc
    // form.
    assertEquals(List.of(base58), c.remote().allow());
    assertEquals(List.of("QmYyQSo1c1Ym7orWxLYvCrM2EmxFTANf8wXmmE7DWjhx5N"), c.remote().deny());
    assertTrue(c.remote().admits(base58));

    // A CIDv1 of another codec (dag-pb, bafy...) is no peer id, and the error says why.
    ConfigurationException e =
        assertThrows(
            ConfigurationException.class,
            () ->
                parse(
                    "[p2p]\nbootstrap = [\"/ip4/127.0.0.1/tcp/4001/p2p/bafybeie5745rpv2m6tjyuugywy4d5ewrqgqqhfnf445he3omzpjbx5xqxe\"]\n"));
    assertEquals("p2p.bootstrap[0]", e.field());
    assertTrue(e.getMessage().contains("libp2p-key"), e.getMessage());
  }

  @ParameterizedTest(name = "{2}")
  @CsvSource(
      delimiter = '|',
      value = {
        "[p2p]\\nenable = true|p2p.enable",
        "[p2p]\\nenabled = \"yes\"|p2p.enabled",
        "[p2p]\\ntransport = \"Lib P2P\"|p2p.transport",
        "[p2p]\\nlisten = []|p2p.listen",
        "[p2p]\\nlisten = \"/ip4/127.0.0.1/tcp/1\"|p2p.listen",
        "[p2p]\\nlisten = [\"127.0.0.1:4001\"]|p2p.listen[0]",
        "[p2p]\\nlisten = [\"/ip4/127.0.0.1/tcp/0\", \"/ip4/127.0.0.1/tcp/1/p2p/x\"]|p2p.listen[1]",
        "[p2p]\\nbootstrap = [\"/ip4/127.0.0.1/tcp/4001\"]|p2p.bootstrap[0]",
        "[p2p]\\nbootstrap = [\"/ip4/127.0.0.1/tcp/4001/p2p/0OIl\"]|p2p.bootstrap[0]",
        "[p2p]\\nmax-inbound-streams = 0|p2p.max-inbound-streams",
        "[p2p]\\nmax-pending-handshakes = 5000|p2p.max-pending-handshakes",
        "[p2p]\\nmax-value-size = \"1MiB\"|p2p.max-value-size",
        "[p2p]\\nmax-records = -1|p2p.max-records",
        "[p2p]\\ndial-timeout = \"1ms\"|p2p.dial-timeout",
        "[p2p]\\nquery-timeout = 30|p2p.query-timeout",
        "[p2p]\\nautonat = 1|p2p.autonat",
        "[p2p]\\nrelays = [\"/ip4/192.0.2.9/tcp/4001\"]|p2p.relays[0]",
        "[p2p]\\nhole-punching = \"no\"|p2p.hole-punching",
        "[p2p]\\nrelay-service = 0|p2p.relay-service",
        "[p2p]\\nrelay-max-reservations = 0|p2p.relay-max-reservations",
        "[p2p]\\nrelay-max-circuits = 100001|p2p.relay-max-circuits",
        "[p2p]\\nrelay-circuit-duration = \"100ms\"|p2p.relay-circuit-duration",
        "[p2p]\\nrelay-circuit-bytes = \"1B\"|p2p.relay-circuit-bytes",
        "p2p = true|p2p",
      })
  void badSettingsAreErrorsNamingTheKey(String toml, String key) {
    ConfigurationException e =
        assertThrows(ConfigurationException.class, () -> parse(toml.replace("\\n", "\n")));
    assertEquals(key, e.field(), e.getMessage());
    assertTrue(e.getMessage().startsWith("test.toml: " + key + ": "), e.getMessage());
  }

  @Test
  void theUnknownKeyMessageListsTheP2pKeys() {
    ConfigurationException e =
        assertThrows(ConfigurationException.class, () -> parse("[p2p]\nlisten-addrs = []\n"));
    assertTrue(
        e.getMessage().contains("autonat, bootstrap, dial-timeout, enabled, hole-punching, listen"),
        e.getMessage());
  }

  /** docs/config.md's example carries every [p2p] key, commented or not, and its table documents each. */
  @Test
  void theDocsCoverEveryP2pKey() throws Exception {
    String doc = Files.readString(DaemonConfigTests.repoRoot().resolve("docs/config.md"));
    Matcher m = Pattern.compile("```toml\n(.*?)```", Pattern.DOTALL).matcher(doc);
    assertTrue(m.find());
    String example = m.group(1);
    assertFalse(
        DaemonConfig.parse(Path.of("docs/config.md"), example).p2p().enabled(),
        "the example keeps p2p off");
    assertTrue(example.contains("[p2p]"), "the example has a [p2p] table");
    // Every [p2p] key the reader takes: a key added there must be shown in the example too.
    List<String> keys =
        ConfigReader.KEYS.stream()
            .filter(k -> k.startsWith("p2p."))
            .map(k -> k.substring("p2p.".length()))
            .toList();
    assertTrue(keys.contains("relay-circuit-bytes"), keys::toString);
    for (String key : keys) {
      assertTrue(
          Pattern.compile("(?m)^#? ?" + Pattern.quote(key) + " =").matcher(example).find(),
          "example lacks " + key);
      assertTrue(doc.contains("`p2p." + key + "`"), "docs/config.md does not document p2p." + key);
    }
  }
}
