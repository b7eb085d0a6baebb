package dev.plasm.transport.libp2p.internal.kad;

import dev.plasm.transport.libp2p.Host;
import dev.plasm.transport.libp2p.internal.host.HostCore;

/**
 * What the parts of a {@link KadNode} share: the host, the settings, the routing table, the record
 * and provider stores, and who is in the table. {@link KadNode} makes it once and hands it to
 * {@link KadClient} and {@link KadUpkeep}.
 */
record KadState(
    Host host,
    HostCore core,
    KadSettings settings,
    RoutingTable table,
    RecordStore records,
    ProviderStore providers,
    KadContacts contacts) {}
