package dev.plasm.engine.spi.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The confined java.nio file system for third-party WASI implementations, on real files and symlinks. */
class ConfinedFileSystemTests {
  @TempDir Path tmp;
  Path box;

  @BeforeEach
  void layout() throws IOException {
    box = Files.createDirectory(tmp.resolve("box"));
    Files.writeString(tmp.resolve("secret"), "secret");
    Files.writeString(box.resolve("file"), "inside");
    Files.createDirectory(box.resolve("sub"));
    Files.createSymbolicLink(box.resolve("out"), tmp.resolve("secret"));
    Files.createSymbolicLink(box.resolve("outdir"), tmp);
    Files.createSymbolicLink(box.resolve("in"), Path.of("file"));
  }

  @Test
  void readsInsideTheRoot() throws IOException {
    Path root = ConfinedFileSystem.open(box, false);
    assertEquals("inside", Files.readString(root.resolve("file")));
    assertEquals(
        "inside", Files.readString(root.resolve("in")), "a link that stays inside is followed");
    assertEquals("inside", Files.readString(root.resolve("sub/../file")));
  }

  @Test
  void symlinksThatLeaveTheRootAreRefused() throws IOException {
    Path root = ConfinedFileSystem.open(box, false);
    assertThrows(AccessDeniedException.class, () -> Files.readString(root.resolve("out")));
    assertThrows(
        AccessDeniedException.class, () -> Files.readString(root.resolve("outdir/secret")));
    assertThrows(
        AccessDeniedException.class, () -> Files.writeString(root.resolve("outdir/planted"), "x"));
    assertFalse(Files.exists(tmp.resolve("planted")));
    assertThrows(
        AccessDeniedException.class, () -> Files.newDirectoryStream(root.resolve("outdir")));
  }

  @Test
  void lexicalEscapesAreRefusedAndDotDotAtTheRootStaysThere() throws IOException {
    Path root = ConfinedFileSystem.open(box, false);
    assertThrows(
        AccessDeniedException.class,
        () -> Files.readString(root.getFileSystem().getPath("/etc/hostname")));
    // As in a chroot: root/../file is root/file, never the host's parent directory.
    assertThrows(NoSuchFileException.class, () -> Files.readString(root.resolve("../secret")));
    assertEquals("inside", Files.readString(root.resolve("../file")));
  }

  @Test
  void listingShowsEscapingLinksWithoutFollowingThem() throws IOException {
    Path root = ConfinedFileSystem.open(box, false);
    try (Stream<Path> s = Files.list(root)) {
      List<String> names = s.map(p -> p.getFileName().toString()).sorted().toList();
      assertEquals(List.of("file", "in", "out", "outdir", "sub"), names);
    }
    assertTrue(Files.isSymbolicLink(root.resolve("out")));
    assertFalse(Files.isRegularFile(root.resolve("out")), "the target outside is not looked at");
    var attrs = Files.readAttributes(root.resolve("out"), "unix:*");
    assertTrue(attrs.containsKey("ino"));
  }

  @Test
  void linksCannotBeCreated() throws IOException {
    Path root = ConfinedFileSystem.open(box, false);
    assertThrows(
        AccessDeniedException.class,
        () -> Files.createSymbolicLink(root.resolve("l"), root.resolve("file")));
    assertThrows(
        AccessDeniedException.class,
        () -> Files.createLink(root.resolve("h"), root.resolve("file")));
  }

  @Test
  void readOnlyRefusesEveryWrite() throws IOException {
    Path root = ConfinedFileSystem.open(box, true);
    assertEquals("inside", Files.readString(root.resolve("file")));
    assertThrows(AccessDeniedException.class, () -> Files.writeString(root.resolve("file"), "x"));
    assertThrows(AccessDeniedException.class, () -> Files.writeString(root.resolve("new"), "x"));
    assertThrows(AccessDeniedException.class, () -> Files.createDirectory(root.resolve("d")));
    assertThrows(AccessDeniedException.class, () -> Files.delete(root.resolve("file")));
    assertThrows(
        AccessDeniedException.class, () -> Files.move(root.resolve("file"), root.resolve("moved")));
    assertThrows(
        AccessDeniedException.class,
        () ->
            FileChannel.open(
                root.resolve("file"), StandardOpenOption.WRITE, StandardOpenOption.APPEND));
    assertEquals("inside", Files.readString(box.resolve("file")));
  }

  @Test
  void theRootItselfCannotBeDeletedOrMoved() throws IOException {
    Path root = ConfinedFileSystem.open(box, false);
    assertThrows(AccessDeniedException.class, () -> Files.delete(root));
    assertThrows(AccessDeniedException.class, () -> Files.move(root, root.resolve("sub/x")));
    assertTrue(Files.isDirectory(box));
  }

  @Test
  void openingAFileIsNotADirectory() {
    assertThrows(
        java.nio.file.NotDirectoryException.class,
        () -> ConfinedFileSystem.open(box.resolve("file"), false));
  }
}
