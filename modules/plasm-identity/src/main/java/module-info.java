/**
 * Keys and peer ids, the one owner of both: the node identity (one Ed25519 key pair that signs
 * receipts and, as a libp2p peer id, names the node on the network), libp2p peer ids in both text
 * forms (base58btc and CIDv1), and the libp2p key protobuf codec with verification for every key
 * type libp2p defines (Ed25519, RSA, ECDSA P-256, secp256k1).
 */
module dev.plasm.identity {
  requires transitive dev.plasm.api;
  // No JCA provider is registered. Ed25519 uses the RFC 8032 arithmetic, which derives public keys
  // from seeds and validates points (the JDK's Ed25519 cannot, and accepts small-order keys);
  // secp256k1, which the JDK dropped in 16, uses the lightweight ECDSA and its DER signatures.
  requires org.bouncycastle.provider;

  exports dev.plasm.identity;
}
