package dev.plasm.transport.libp2p.internal.kad;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.identity.Multihash;
import dev.plasm.identity.NodeIdentity;
import dev.plasm.identity.PeerId;
import dev.plasm.transport.libp2p.MalformedMessageException;
import dev.plasm.transport.libp2p.Multiaddr;
import dev.plasm.transport.libp2p.internal.codec.ProtoWriter;
import dev.plasm.transport.libp2p.internal.kad.KadMessage.Peer;
import dev.plasm.transport.libp2p.internal.kad.KadMessage.Type;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** XOR distance, k-buckets, the message codec, record and provider stores, and the lookup loop. */
@Timeout(value = 60, unit = TimeUnit.SECONDS)
class KadTests {
  private static final HexFormat HEX = HexFormat.of();

  private static KadKey hash(String hex) {
    return KadKey.ofHash(HEX.parseHex(hex));
  }

  private static String h(int firstByte, int lastByte) {
    byte[] b = new byte[32];
    b[0] = (byte) firstByte;
    b[31] = (byte) lastByte;
    return HEX.formatHex(b);
  }

  private static List<PeerId> peers(int n) {
    List<PeerId> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      byte[] seed = new byte[32];
      seed[0] = (byte) i;
      seed[1] = (byte) (i >> 8);
      out.add(NodeIdentity.fromSeed(seed).peerId());
    }
    return out;
  }

  @Test
  void xorDistanceAndCommonPrefix() {
    KadKey zero = hash(h(0, 0));
    assertEquals(256, zero.commonPrefixLength(zero));
    assertEquals(0, zero.commonPrefixLength(hash(h(0x80, 0))));
    assertEquals(7, zero.commonPrefixLength(hash(h(0x01, 0))));
    assertEquals(255, zero.commonPrefixLength(hash(h(0, 1))));
    assertEquals(hash(h(0x81, 0x01)), hash(h(0x80, 0)).distance(hash(h(0x01, 0x01))));
    // Distances compare as unsigned numbers: 0x80... is farther than 0x7f...
    assertTrue(zero.compareDistance(hash(h(0x80, 0)), hash(h(0x7f, 0xff))) > 0);
    assertTrue(zero.compareDistance(hash(h(0x00, 1)), hash(h(0x00, 2))) < 0);
    assertEquals(0, zero.compareDistance(hash(h(3, 3)), hash(h(3, 3))));
    // The key of a peer is SHA-256 of its binary id.
    PeerId p = peers(1).getFirst();
    assertEquals(KadKey.ofHash(Multihash.sha256Digest(p.toBytes())), KadKey.of(p));
    // d(a,b) = d(b,a) and d(a,a) = 0.
    KadKey a = KadKey.of("x".getBytes(StandardCharsets.UTF_8));
    KadKey b = KadKey.of("y".getBytes(StandardCharsets.UTF_8));
    assertEquals(a.distance(b), b.distance(a));
    assertEquals(hash(h(0, 0)), a.distance(a));
  }

  @Test
  void bucketsHoldKPeersByCommonPrefixAndReportTheOldestWhenFull() {
    PeerId selfPeer = peers(1).getFirst();
    KadKey self = KadKey.of(selfPeer);
    RoutingTable t = new RoutingTable(self, 3);
    List<PeerId> all = peers(400).subList(1, 400);
    // Peers in bucket 0 (first bit differs): about half of them.
    List<PeerId> bucket0 = all.stream().filter(p -> t.bucketIndex(KadKey.of(p)) == 0).toList();
    assertTrue(bucket0.size() > 10, "enough peers fall in bucket 0");
    Instant now = Instant.now();
    for (int i = 0; i < 3; i++) {
      assertTrue(t.add(bucket0.get(i), List.of(), now).added());
    }
    RoutingTable.AddResult full = t.add(bucket0.get(3), List.of(), now);
    assertFalse(full.added());
    assertEquals(bucket0.get(0), full.oldest().peer());
    // Seeing the oldest again makes bucket0[1] the oldest.
    assertTrue(t.add(bucket0.get(0), List.of(), now).added());
    assertEquals(bucket0.get(1), t.add(bucket0.get(3), List.of(), now).oldest().peer());
    // The oldest found dead is replaced.
    RoutingTable.Entry oldest = t.add(bucket0.get(3), List.of(), now).oldest();
    assertTrue(t.replace(oldest, bucket0.get(3), List.of(), now));
    assertTrue(t.get(bucket0.get(3)).isPresent());
    assertTrue(t.get(bucket0.get(1)).isEmpty());
    assertFalse(
        t.replace(oldest, bucket0.get(4), List.of(), now), "a stale eviction is not applied twice");
    assertEquals(3, t.bucketSize(0));
    // Ourselves never enters, and has no bucket.
    assertFalse(t.add(selfPeer, List.of(), now).added());
    assertThrows(IllegalArgumentException.class, () -> t.bucketIndex(self));
    assertTrue(t.remove(bucket0.get(3)));
    assertEquals(2, t.bucketSize(0));
  }

  @Test
  void closestMatchesABruteForceSortAndKeepsAddresses() {
    PeerId selfPeer = peers(1).getFirst();
    RoutingTable t = new RoutingTable(KadKey.of(selfPeer), 20);
    List<PeerId> all = peers(200).subList(1, 200);
    Multiaddr addr = Multiaddr.parse("/ip4/127.0.0.1/tcp/4001");
    List<PeerId> inTable = new ArrayList<>();
    for (PeerId p : all) {
      if (t.add(p, List.of(addr), Instant.now()).added()) {
        inTable.add(p);
      }
    }
    assertEquals(inTable.size(), t.size());
    assertTrue(t.size() < all.size(), "buckets near the top are full, so some peers were left out");
    KadKey target = KadKey.of("/plasm/some-key".getBytes(StandardCharsets.UTF_8));
    List<PeerId> expected =
        inTable.stream()
            .sorted(Comparator.comparing(KadKey::of, target::compareDistance))
            .limit(20)
            .toList();
    List<RoutingTable.Entry> closest = t.closest(target, 20, p -> false);
    assertEquals(expected, closest.stream().map(RoutingTable.Entry::peer).toList());
    assertEquals(List.of(addr), closest.getFirst().addrs());
    assertFalse(
        t.closest(target, 20, expected.getFirst()::equals).stream()
            .anyMatch(e -> e.peer().equals(expected.getFirst())));
  }

  @Test
  void messageCodecRoundTripsAndMatchesTheProtobufLayout() {
    PeerId p = peers(1).getFirst();
    Multiaddr a = Multiaddr.parse("/ip4/127.0.0.1/tcp/4001");
    KadMessage m =
        new KadMessage(
            Type.GET_PROVIDERS,
            new byte[] {1, 2},
            null,
            List.of(new Peer(p, List.of(a), KadMessage.CONNECTED)),
            List.of(new Peer(p, List.of(), 0)));
    assertEquals(m, KadMessage.decode(m.encode()));
    // type=1 varint 3, key=2 bytes, closerPeers=8, providerPeers=9.
    byte[] peer1 =
        new ProtoWriter().bytes(1, p.toBytes()).bytes(2, a.toBytes()).varint(3, 1).toByteArray();
    byte[] peer2 = new ProtoWriter().bytes(1, p.toBytes()).toByteArray();
    byte[] expected =
        new ProtoWriter()
            .varint(1, 3)
            .bytes(2, new byte[] {1, 2})
            .bytes(8, peer1)
            .bytes(9, peer2)
            .toByteArray();
    assertArrayEquals(expected, m.encode());

    KadMessage.Record rec =
        KadMessage.Record.of(
            "/plasm/k".getBytes(StandardCharsets.UTF_8),
            new byte[] {9},
            Instant.parse("2026-01-02T03:04:05.123Z"));
    assertEquals(
        "2026-01-02T03:04:05.123000000Z",
        rec.timeReceived(),
        "js parses exactly nine fraction digits");
    KadMessage put = new KadMessage(Type.PUT_VALUE, rec.key(), rec, List.of(), List.of());
    KadMessage back = KadMessage.decode(put.encode());
    assertEquals(put, back);
    assertEquals(Type.PUT_VALUE, back.type());
    // PUT_VALUE is enum value 0: an encoder may omit it.
    assertEquals(
        Type.PUT_VALUE,
        KadMessage.decode(new ProtoWriter().bytes(2, new byte[] {1}).toByteArray()).type());
    // Unknown fields (clusterLevelRaw=10) are skipped.
    assertEquals(
        Type.FIND_NODE,
        KadMessage.decode(new ProtoWriter().varint(1, 4).varint(10, 7).toByteArray()).type());
  }

  @Test
  void messageCodecRefusesBadInputAndCapsWhatPeersControl() {
    assertThrows(
        MalformedMessageException.class,
        () -> KadMessage.decode(new ProtoWriter().varint(1, 9).toByteArray()));
    assertThrows(
        MalformedMessageException.class,
        () ->
            KadMessage.decode(
                new ProtoWriter()
                    .varint(1, 4)
                    .bytes(8, new ProtoWriter().bytes(1, new byte[] {7, 7}).toByteArray())
                    .toByteArray()));
    assertThrows(
        MalformedMessageException.class,
        () -> KadMessage.decode(new ProtoWriter().bytes(2, new byte[2000]).toByteArray()));
    PeerId p = peers(1).getFirst();
    ProtoWriter many = new ProtoWriter().varint(1, 4);
    for (int i = 0; i <= KadMessage.MAX_PEERS; i++) {
      many.bytes(8, new ProtoWriter().bytes(1, p.toBytes()).toByteArray());
    }
    MalformedMessageException e =
        assertThrows(MalformedMessageException.class, () -> KadMessage.decode(many.toByteArray()));
    assertTrue(e.getMessage().contains("closerPeers"), e.getMessage());
    ProtoWriter addrs = new ProtoWriter().bytes(1, p.toBytes());
    for (int i = 0; i < 100; i++) {
      addrs.bytes(2, Multiaddr.parse("/ip4/10.0.0.1/tcp/" + (1000 + i)).toBytes());
    }
    addrs.bytes(2, new byte[] {(byte) 0xff, 0x7f}); // unknown protocol: skipped
    KadMessage m =
        KadMessage.decode(
            new ProtoWriter().varint(1, 4).bytes(8, addrs.toByteArray()).toByteArray());
    assertEquals(KadMessage.MAX_ADDRS, m.closerPeers().getFirst().addrs().size());
    // A message longer than the cap is refused before it is read.
    byte[] framed = new byte[] {(byte) 0x80, (byte) 0x80, 0x04}; // length 65536
    assertThrows(
        MalformedMessageException.class,
        () ->
            dev.plasm.transport.libp2p.internal.codec.Delimited.readOrEnd(
                new java.io.ByteArrayInputStream(framed), 1024, "kad message"));
  }

  @Test
  void validatorAcceptsOnlyThePlasmNamespaceAndBoundedValues() {
    RecordValidator v = new RecordValidator("plasm", 100);
    v.validate("/plasm/a".getBytes(StandardCharsets.UTF_8), new byte[100]);
    for (String bad : List.of("/pk/abc", "/ipns/x", "plasm/a", "/plasm/", "/plasmx/a", "")) {
      assertThrows(
          RecordValidator.InvalidRecordException.class,
          () -> v.validate(bad.getBytes(StandardCharsets.UTF_8), new byte[1]),
          bad);
    }
    RecordValidator.InvalidRecordException big =
        assertThrows(
            RecordValidator.InvalidRecordException.class,
            () -> v.validate("/plasm/a".getBytes(StandardCharsets.UTF_8), new byte[101]));
    assertTrue(big.getMessage().contains("101 bytes"), big.getMessage());
    assertEquals(2, v.select(List.of(new byte[] {1}, new byte[] {0, 9}, new byte[] {(byte) 0x80})));
  }

  @Test
  void recordStoreSelectsCapsAndExpires() {
    RecordStore s = new RecordStore(new RecordValidator("plasm", 64), 2, Duration.ofSeconds(10));
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    byte[] k1 = "/plasm/1".getBytes(StandardCharsets.UTF_8);
    byte[] k2 = "/plasm/2".getBytes(StandardCharsets.UTF_8);
    byte[] k3 = "/plasm/3".getBytes(StandardCharsets.UTF_8);
    assertEquals(RecordStore.PutResult.STORED, s.put(k1, new byte[] {5}, t0));
    assertEquals(RecordStore.PutResult.KEPT_BETTER, s.put(k1, new byte[] {4}, t0));
    assertEquals(RecordStore.PutResult.STORED, s.put(k1, new byte[] {6}, t0));
    assertArrayEquals(new byte[] {6}, s.get(k1, t0).orElseThrow().value());
    assertEquals(RecordStore.PutResult.STORED, s.put(k2, new byte[] {1}, t0.plusSeconds(5)));
    assertEquals(RecordStore.PutResult.FULL, s.put(k3, new byte[] {1}, t0.plusSeconds(5)));
    // k1 expires at t0+10: then there is room again, and k1 is gone.
    assertTrue(s.get(k1, t0.plusSeconds(10)).isEmpty());
    assertEquals(RecordStore.PutResult.STORED, s.put(k3, new byte[] {1}, t0.plusSeconds(10)));
    assertEquals(2, s.size());
    assertEquals(2, s.sweep(t0.plusSeconds(60)));
    assertThrows(
        RecordValidator.InvalidRecordException.class,
        () -> s.put("/other/1".getBytes(StandardCharsets.UTF_8), new byte[1], t0));
  }

  @Test
  void providerStoreCapsPerKeyAndExpires() {
    ProviderStore s = new ProviderStore(2, 3, Duration.ofSeconds(10));
    Instant t0 = Instant.parse("2026-01-01T00:00:00Z");
    List<PeerId> ps = peers(5);
    byte[] key = Multihash.sha256(new byte[] {1});
    for (int i = 0; i < 3; i++) {
      assertTrue(s.add(key, ps.get(i), List.of(), t0.plusSeconds(i)));
    }
    assertFalse(
        s.add(key, ps.get(3), List.of(), t0.plusSeconds(3)), "a full key keeps its providers");
    assertTrue(
        s.add(key, ps.get(0), List.of(), t0.plusSeconds(4)), "a known provider is refreshed");
    assertEquals(3, s.get(key, 10, t0.plusSeconds(4)).size());
    // ps[1] expires at t0+11, ps[2] at t0+12, ps[0] (refreshed) at t0+14.
    assertEquals(
        List.of(ps.get(2), ps.get(0)),
        s.get(key, 10, t0.plusSeconds(11)).stream().map(ProviderStore.Provider::peer).toList());
    assertTrue(s.add(key, ps.get(3), List.of(), t0.plusSeconds(11)), "room again after an expiry");
    assertTrue(s.add(Multihash.sha256(new byte[] {2}), ps.get(0), List.of(), t0));
    assertFalse(s.add(Multihash.sha256(new byte[] {3}), ps.get(0), List.of(), t0), "key cap");
    assertEquals(4, s.sweep(t0.plusSeconds(100)));
    assertEquals(0, s.keyCount());
  }

  /**
   * The lookup loop against an in-memory network of 300 peers, each knowing its 8 nearest
   * neighbours by key and a few random ones: it must find the true k closest to the target, keep
   * at most alpha queries in flight, and survive peers that fail.
   */
  @Test
  void lookupConvergesOnTheTrueClosestPeersWithAlphaInFlight() {
    List<PeerId> net = peers(301);
    PeerId self = net.getFirst();
    Random rnd = new Random(7);
    Map<PeerId, List<Peer>> knows = new HashMap<>();
    for (PeerId p : net) {
      KadKey pk = KadKey.of(p);
      List<Peer> nb =
          new ArrayList<>(
              net.stream()
                  .filter(q -> !q.equals(p))
                  .sorted(Comparator.comparing(KadKey::of, pk::compareDistance))
                  .limit(8)
                  .map(q -> new Peer(q, List.of(), 0))
                  .toList());
      for (int i = 0; i < 4; i++) {
        nb.add(new Peer(net.get(rnd.nextInt(net.size())), List.of(), 0));
      }
      knows.put(p, nb);
    }
    KadKey target = KadKey.of("/plasm/target".getBytes(StandardCharsets.UTF_8));
    java.util.Set<PeerId> failing = ConcurrentHashMap.newKeySet();
    net.stream().skip(1).filter(p -> rnd.nextInt(10) == 0).forEach(failing::add);
    AtomicInteger inFlight = new AtomicInteger();
    AtomicInteger maxInFlight = new AtomicInteger();
    AtomicInteger asked = new AtomicInteger();
    Lookup l = new Lookup(target, 20, 3, 2000, self);
    for (int i = 1; i <= 5; i++) {
      l.offer(new Peer(net.get(i * 50), List.of(), 0));
    }
    List<Peer> result =
        l.run(
            Duration.ofSeconds(30),
            () -> Duration.ofSeconds(30),
            p -> {
              int now = inFlight.incrementAndGet();
              maxInFlight.accumulateAndGet(now, Math::max);
              asked.incrementAndGet();
              try {
                Thread.sleep(2);
                if (failing.contains(p.id())) {
                  throw new IOException("down");
                }
                return new Lookup.Result(knows.get(p.id()), false);
              } catch (InterruptedException e) {
                throw new IOException(e);
              } finally {
                inFlight.decrementAndGet();
              }
            });
    List<PeerId> expected =
        net.stream()
            .skip(1)
            .filter(p -> !failing.contains(p))
            .sorted(Comparator.comparing(KadKey::of, target::compareDistance))
            .limit(20)
            .toList();
    assertEquals(expected, result.stream().map(Peer::id).toList());
    assertTrue(maxInFlight.get() <= 3, "at most alpha in flight, saw " + maxInFlight.get());
    assertTrue(
        asked.get() < 150,
        "the lookup converged without asking most of the network: " + asked.get());
  }

  @Test
  void lookupStopsWhenAResponseSaysSoAndWhenNobodyIsLeft() {
    List<PeerId> net = peers(10);
    Lookup l = new Lookup(KadKey.of(net.get(5)), 20, 3, 100, net.getFirst());
    net.stream().skip(1).forEach(p -> l.offer(new Peer(p, List.of(), 0)));
    AtomicInteger asked = new AtomicInteger();
    List<Peer> r =
        l.run(
            Duration.ofSeconds(10),
            () -> Duration.ofSeconds(10),
            p -> {
              asked.incrementAndGet();
              return new Lookup.Result(List.of(), true);
            });
    assertEquals(1, r.size());
    assertTrue(asked.get() <= 3);
    Lookup empty = new Lookup(KadKey.of(net.get(5)), 20, 3, 100, net.getFirst());
    assertTrue(
        empty.run(Duration.ofSeconds(10), () -> Duration.ofSeconds(10), p -> null).isEmpty());
  }

  @Test
  void aLookupGoesOnWithoutAFrozenPeerButTakesASlowAnswerThatComesInTime() {
    List<PeerId> net = peers(21);
    KadKey target = KadKey.of(net.get(5));
    PeerId frozen =
        net.stream()
            .skip(1)
            .min(Comparator.comparing(KadKey::of, target::compareDistance))
            .orElseThrow();
    PeerId late =
        net.stream()
            .skip(1)
            .filter(p -> !p.equals(frozen))
            .min(Comparator.comparing(KadKey::of, target::compareDistance))
            .orElseThrow();
    Lookup l = new Lookup(target, 20, 3, 100, net.getFirst());
    net.stream().skip(1).forEach(p -> l.offer(new Peer(p, List.of(), 0)));
    long start = System.nanoTime();
    // The two closest are asked first. After the 2 s patience both count as slow and the others,
    // 500 ms each, are asked three at a time, so the lookup still runs when the late one answers
    // at 3 s; the frozen one never answers in time.
    List<Peer> r =
        l.run(
            Duration.ofSeconds(60),
            () -> Duration.ofSeconds(2),
            p -> {
              try {
                Thread.sleep(p.id().equals(frozen) ? 30_000 : p.id().equals(late) ? 3_000 : 500);
              } catch (InterruptedException e) {
                throw new IOException(e);
              }
              return new Lookup.Result(List.of(), false);
            });
    long millis = (System.nanoTime() - start) / 1_000_000;
    List<PeerId> answered = r.stream().map(Peer::id).toList();
    assertFalse(answered.contains(frozen), "the frozen peer never answered");
    assertTrue(
        answered.contains(late),
        "the late answer came before the end and counts: " + millis + " ms, " + answered);
    assertEquals(net.size() - 2, answered.size());
    assertTrue(millis < 15_000, "the lookup did not wait for the frozen peer: " + millis + " ms");
  }

  @Test
  void theLookupPatienceFollowsAnswerTimesBetweenItsBounds() {
    AdaptiveTimeout t = new AdaptiveTimeout(Duration.ofSeconds(2), Duration.ofSeconds(10));
    assertEquals(Duration.ofSeconds(5), t.current(), "half the request timeout before any answer");
    for (int i = 0; i < 50; i++) {
      t.record(Duration.ofMillis(5).toNanos());
    }
    assertEquals(Duration.ofSeconds(2), t.current(), "fast answers: the floor");
    for (int i = 0; i < 50; i++) {
      t.record(Duration.ofMillis(i % 2 == 0 ? 1_000 : 3_000).toNanos());
    }
    Duration wide = t.current();
    assertTrue(
        wide.compareTo(Duration.ofSeconds(5)) > 0 && wide.compareTo(Duration.ofSeconds(10)) <= 0,
        wide.toString());
    for (int i = 0; i < 50; i++) {
      t.record(Duration.ofSeconds(30).toNanos());
    }
    assertEquals(Duration.ofSeconds(10), t.current(), "never past the request timeout");
  }

  @Test
  void providerKeysMustBeMultihashes() {
    KadNode.checkMultihash(Multihash.sha256(new byte[] {1}));
    KadNode.checkMultihash(
        HEX.parseHex(
            "1e2000112233445566778899aabbccddeeff00112233445566778899aabbccddeeff")); // blake3
    assertThrows(
        KadNode.RefusedException.class, () -> KadNode.checkMultihash(new byte[] {0x12, 0x20, 1}));
    assertThrows(
        KadNode.RefusedException.class, () -> KadNode.checkMultihash(new byte[] {(byte) 0x80}));
  }
}
