/**
 * The node identity: one Ed25519 key pair that signs receipts and, as a libp2p peer id,
 * names the node on the network.
 */
module dev.plasm.identity {
  requires transitive dev.plasm.api;
  // Only the RFC 8032 arithmetic is used (no JCA provider is registered): it derives public
  // keys from seeds and validates points, which the JDK's Ed25519 cannot.
  requires org.bouncycastle.provider;

  exports dev.plasm.identity;
}
