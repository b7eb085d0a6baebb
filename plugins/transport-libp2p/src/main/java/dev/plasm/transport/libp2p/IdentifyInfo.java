package dev.plasm.transport.libp2p;

import dev.plasm.identity.PeerPublicKey;
import java.util.List;
import java.util.Optional;

/**
 * What a peer said about itself in identify ({@code /ipfs/id/1.0.0}) or an identify push.
 *
 * @param publicKey the key it proved; identify messages whose key does not match the connection's
 *     peer id are refused before they become an {@code IdentifyInfo}
 * @param observedAddr our address as the peer sees it, if it said
 */
public record IdentifyInfo(
    String protocolVersion,
    String agentVersion,
    PeerPublicKey publicKey,
    List<Multiaddr> listenAddrs,
    Optional<Multiaddr> observedAddr,
    List<String> protocols) {
  public IdentifyInfo {
    listenAddrs = List.copyOf(listenAddrs);
    protocols = List.copyOf(protocols);
  }
}
