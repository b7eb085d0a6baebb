package dev.plasm.identity;

import dev.plasm.fixtures.ModuleRules;
import org.junit.jupiter.api.Test;

/** The module's allowed shape: the node's Ed25519 key and peer id, on the job model and BouncyCastle. */
class ModuleTests {

  @Test
  void hasItsDeclaredShape() {
    ModuleRules.of(NodeIdentity.class)
        // IdentityException extends PlasmException.
        .requiresTransitive("dev.plasm.api")
        // RFC 8032 arithmetic only (no JCA provider): derives public keys and validates points.
        .requires("org.bouncycastle.provider")
        .exports("dev.plasm.identity")
        .verify();
  }
}
