package dev.plasm.identity;

import dev.plasm.fixtures.ModuleRules;
import org.junit.jupiter.api.Test;

/** The module's allowed shape: keys, peer ids and the node identity, on the API and BouncyCastle. */
class ModuleTests {

  @Test
  void hasItsDeclaredShape() {
    ModuleRules.of(NodeIdentity.class)
        // IdentityException extends PlasmException.
        .requiresTransitive("dev.plasm.api")
        // No JCA provider: RFC 8032 arithmetic (derives public keys, validates points) and
        // secp256k1's ECDSA, which the JDK does not have.
        .requires("org.bouncycastle.provider")
        .exports("dev.plasm.identity")
        .verify();
  }
}
