package dev.plasm.transport.libp2p.internal.relay;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.identity.NodeIdentity;
import dev.plasm.transport.libp2p.MalformedMessageException;
import dev.plasm.transport.libp2p.Multiaddr;
import dev.plasm.transport.libp2p.internal.relay.RelayMessages.Hop;
import dev.plasm.transport.libp2p.internal.relay.RelayMessages.Limit;
import dev.plasm.transport.libp2p.internal.relay.RelayMessages.Peer;
import dev.plasm.transport.libp2p.internal.relay.RelayMessages.Reservation;
import dev.plasm.transport.libp2p.internal.relay.RelayMessages.Stop;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The relay v2 messages and the reservation voucher. */
class RelayMessagesTests {
  private static final NodeIdentity RELAY = NodeIdentity.ephemeral();
  private static final NodeIdentity PEER = NodeIdentity.ephemeral();

  @Test
  void hopAndStopMessagesRoundTripWithTheFieldNumbersOfTheSpec() {
    Multiaddr a = Multiaddr.parse("/ip4/192.0.2.1/tcp/4001/p2p/" + RELAY.peerId());
    Hop status =
        Hop.status(
            RelayMessages.OK,
            new Reservation(1_800_000_000L, List.of(a), new byte[] {1, 2}),
            new Limit(120, 131072));
    Hop back = Hop.decode(status.encode());
    assertEquals(Hop.STATUS, back.type());
    assertEquals(RelayMessages.OK, back.status());
    assertEquals(1_800_000_000L, back.reservation().expire());
    assertEquals(List.of(a), back.reservation().addrs());
    assertEquals(new Limit(120, 131072), back.limit());
    // type=CONNECT(1), peer{id}: 08 01 12 <len> 0a <len> <id>
    byte[] connect = Hop.connect(PEER.peerId()).encode();
    assertEquals("080112280a26", HexFormat.of().formatHex(connect, 0, 6));
    assertEquals(PEER.peerId(), Hop.decode(connect).peer().id());
    // A RESERVE is the type field alone, type 0 written out.
    assertEquals("0800", HexFormat.of().formatHex(Hop.reserve().encode()));
    Stop stop =
        Stop.decode(
            new Stop(Stop.CONNECT, new Peer(PEER.peerId(), List.of()), new Limit(60, 0), 0)
                .encode());
    assertEquals(Stop.CONNECT, stop.type());
    assertEquals(PEER.peerId(), stop.peer().id());
    assertEquals(new Limit(60, 0), stop.limit());
    assertNull(Stop.decode(Stop.status(RelayMessages.OK).encode()).peer());
    assertThrows(MalformedMessageException.class, () -> Hop.decode(new byte[] {0x08, 0x07}));
    assertThrows(
        MalformedMessageException.class,
        () -> Hop.decode(new byte[] {0x12, 0x02, 0x12, 0x00})); // Peer without id
  }

  @Test
  void aVoucherIsSignedByTheRelayForThePeerAndTamperingShows() {
    byte[] v = RelayMessages.voucher(RELAY, PEER.peerId(), 1_800_000_000L);
    assertEquals(1_800_000_000L, RelayMessages.checkVoucher(v, RELAY.peerId(), PEER.peerId()));
    MalformedMessageException other =
        assertThrows(
            MalformedMessageException.class,
            () -> RelayMessages.checkVoucher(v, NodeIdentity.ephemeral().peerId(), PEER.peerId()));
    assertTrue(other.getMessage().contains("not the relay"), other.getMessage());
    assertThrows(
        MalformedMessageException.class,
        () -> RelayMessages.checkVoucher(v, RELAY.peerId(), RELAY.peerId()));
    byte[] bad = v.clone();
    bad[bad.length - 1] ^= 1;
    MalformedMessageException sig =
        assertThrows(
            MalformedMessageException.class,
            () -> RelayMessages.checkVoucher(bad, RELAY.peerId(), PEER.peerId()));
    assertTrue(sig.getMessage().contains("signature"), sig.getMessage());
  }
}
