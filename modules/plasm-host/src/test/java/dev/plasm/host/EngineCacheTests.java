package dev.plasm.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Where engines keep compiled code: one private directory per engine id and version. */
class EngineCacheTests {
  @TempDir Path tmp;

  @Test
  void eachEngineGetsItsOwnPrivateDirectoryMadeWhenTheEngineIsCreated() throws Exception {
    Path root = tmp.resolve("cache").resolve("engines");
    EngineRegistry plain = EngineRegistry.discover();
    assertTrue(plain.engineCache("chicory-interpreter").isEmpty(), "no cache unless asked for");
    EngineRegistry registry = plain.withEngineCache(root);
    var info = registry.require("chicory-interpreter");
    Path dir = registry.engineCache("chicory-interpreter").orElseThrow();
    assertEquals(root.resolve("chicory-interpreter").resolve(info.descriptor().version()), dir);
    assertFalse(Files.exists(dir), "made when the engine is, not when the registry is");
    registry.engine("chicory-interpreter");
    assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(dir)));
    assertTrue(registry.engineCache("no-such-engine").isEmpty());
  }

  @Test
  void aDirectoryOthersMayWriteOrALinkIsNotUsed() throws Exception {
    Path open = Files.createDirectory(tmp.resolve("open"));
    Files.setPosixFilePermissions(open, PosixFilePermissions.fromString("rwxrwxrwx"));
    IOException e = assertThrows(IOException.class, () -> PrivateDirectories.create(open));
    assertTrue(e.getMessage().contains("not a private directory"), e.getMessage());
    Path real = Files.createDirectory(tmp.resolve("real"));
    Path link = Files.createSymbolicLink(tmp.resolve("link"), real);
    assertThrows(IOException.class, () -> PrivateDirectories.create(link));
    // An engine whose directory cannot be used is created all the same, without a cache.
    EngineRegistry registry = EngineRegistry.discover().withEngineCache(tmp.resolve("c"));
    Path dir = registry.engineCache("chicory-interpreter").orElseThrow();
    Files.createDirectories(dir);
    Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwxrwxrwx"));
    assertTrue(registry.engine("chicory-interpreter") != null);
  }
}
