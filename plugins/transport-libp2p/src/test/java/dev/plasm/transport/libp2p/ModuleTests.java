package dev.plasm.transport.libp2p;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.lang.module.ModuleDescriptor;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/**
 * The module's shape: one exported package, no internal package leaks, and no dependencies beyond
 * Plasm's API, transport SPI and identity, Netty's QUIC codec and Bouncy Castle (certificates).
 */
class ModuleTests {
  private static final ModuleDescriptor DESCRIPTOR = Host.class.getModule().getDescriptor();

  @Test
  void onlyThePublicPackageIsExported() {
    Set<String> exports = DESCRIPTOR.exports().stream().map(ModuleDescriptor.Exports::source).collect(Collectors.toSet());
    assertEquals(Set.of("dev.plasm.transport.libp2p"), exports);
    assertEquals(Set.of(), DESCRIPTOR.opens());
  }

  @Test
  void dependsOnTheJdkPlasmNettyQuicAndBouncyCastleOnly() {
    Set<String> requires = DESCRIPTOR.requires().stream()
        .map(ModuleDescriptor.Requires::name)
        .filter(n -> !n.startsWith("org.junit") && !n.startsWith("org.opentest4j") && !n.startsWith("org.apiguardian"))
        .collect(Collectors.toCollection(TreeSet::new));
    assertEquals(new TreeSet<>(Set.of("java.base", "dev.plasm.api", "dev.plasm.transport.spi", "dev.plasm.identity",
        "io.netty.codec.classes.quic", "io.netty.transport", "io.netty.buffer", "io.netty.common", "io.netty.handler",
        "org.bouncycastle.provider")), requires);
  }
}
