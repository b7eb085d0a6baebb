package dev.plasm.transport.libp2p.internal.kad;

import dev.plasm.transport.libp2p.Multiaddr;
import java.time.Duration;
import java.util.List;

/**
 * A DHT's fixed settings, as {@code Dht.Builder} collected them.
 *
 * @param k bucket size and replication factor
 * @param alpha queries in flight per lookup
 * @param namespace the record namespace accepted ({@code plasm} for {@code /plasm/...} keys)
 * @param maxInboundStreams DHT streams served at once, over all peers; more are reset
 * @param maxRequestsPerStream requests served on one inbound stream before it is closed
 */
public record KadSettings(
    String protocol,
    int k,
    int alpha,
    String namespace,
    int maxValueSize,
    int maxMessageSize,
    int maxRecords,
    Duration recordTtl,
    int maxProviderKeys,
    int maxProvidersPerKey,
    Duration providerTtl,
    int maxInboundStreams,
    int maxRequestsPerStream,
    Duration requestTimeout,
    Duration queryTimeout,
    Duration refreshInterval,
    Duration republishInterval,
    List<Multiaddr> bootstrapPeers) {
  public KadSettings {
    bootstrapPeers = List.copyOf(bootstrapPeers);
  }
}
