package dev.plasm.daemon;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.api.ConfigurationException;
import dev.plasm.daemon.internal.store.Journal;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The job journal on real files: replay in order, blobs read back, torn tails cut, damage refused, group commit. */
class JournalTests {
  @TempDir Path dir;

  static byte[] b(String s) {
    return s.getBytes(StandardCharsets.UTF_8);
  }

  static List<Journal.Entry> replay(Path dir) throws Exception {
    List<Journal.Entry> seen = new ArrayList<>();
    Journal.open(dir, seen::add).close();
    return seen;
  }

  @Test
  void entriesComeBackInOrderWithTheirBlobsReadableWhereTheyAre() throws Exception {
    Journal j = Journal.open(dir, e -> {});
    Journal.Entry first = j.appendAndWait(b("one"), b("stdin bytes"), new byte[0], b("receipt"));
    Journal.Entry second = j.appendAndWait(b("two"));
    assertEquals(
        "stdin bytes",
        new String(
            j.read(first.blobPositions()[0], first.blobLengths()[0]), StandardCharsets.UTF_8));
    assertEquals(
        "receipt",
        new String(
            j.read(first.blobPositions()[2], first.blobLengths()[2]), StandardCharsets.UTF_8));
    assertArrayEquals(b("two"), j.readMeta(second.position()));
    Journal.Region r = j.region(first.blobPositions()[0], first.blobLengths()[0]);
    try (RandomAccessFile f = new RandomAccessFile(r.file().toFile(), "r")) {
      byte[] got = new byte[(int) r.length()];
      f.seek(r.offset());
      f.readFully(got);
      assertEquals("stdin bytes", new String(got, StandardCharsets.UTF_8));
    }
    j.close();

    List<Journal.Entry> seen = replay(dir);
    assertEquals(
        List.of("one", "two"),
        seen.stream().map(e -> new String(e.meta(), StandardCharsets.UTF_8)).toList());
    assertArrayEquals(first.blobPositions(), seen.get(0).blobPositions());
    assertArrayEquals(new int[] {11, 0, 7}, seen.get(0).blobLengths());
  }

  @Test
  void anEntryCutShortOrDamagedAtTheEndIsCutOffAndWritingGoesOn() throws Exception {
    Journal j = Journal.open(dir, e -> {});
    j.appendAndWait(b("kept"), b("x".repeat(1000)));
    Journal.Entry torn = j.appendAndWait(b("torn"), b("y".repeat(1000)));
    j.close();
    Path segment = dir.resolve("00000001.journal");
    long whole = Files.size(segment);
    long tornAt = Journal.offsetOf(torn.position());

    // A crash in the middle of the second append: half of it reached the disk.
    try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
      f.setLength(tornAt + 500);
    }
    assertEquals(List.of("kept"), metas(replay(dir)));
    assertEquals(tornAt, Files.size(segment), "the torn entry is cut off");

    // Garbage after the last whole entry (a length that runs past the end, a bad checksum).
    Journal again = Journal.open(dir, e -> {});
    again.appendAndWait(b("after"));
    again.close();
    try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
      long end = f.length();
      f.seek(end);
      f.writeInt(12);
      f.writeInt(0xdeadbeef);
      f.write(new byte[12]);
    }
    assertEquals(List.of("kept", "after"), metas(replay(dir)));
    // A flipped bit in the last entry's blob fails its checksum: cut off too.
    try (RandomAccessFile f = new RandomAccessFile(segment.toFile(), "rw")) {
      f.seek(tornAt + 14); // in the meta part of "after"
      int v = f.read();
      f.seek(tornAt + 14);
      f.write(v ^ 1);
    }
    assertEquals(List.of("kept"), metas(replay(dir)));
    assertTrue(whole > Files.size(segment));
  }

  @Test
  void damageInASegmentThatIsNotTheLastStopsTheOpenNamingTheFileAndOffset() throws Exception {
    Journal j = Journal.open(dir, e -> {}, 4096);
    for (int i = 0; i < 20; i++) {
      j.appendAndWait(b("entry " + i), new byte[1000]);
    }
    j.close();
    List<Path> segments;
    try (Stream<Path> s = Files.list(dir)) {
      segments = s.sorted().toList();
    }
    assertTrue(segments.size() >= 3, segments::toString);
    assertEquals(20, replay(dir).size(), "every entry across the segments");
    try (RandomAccessFile f = new RandomAccessFile(segments.get(0).toFile(), "rw")) {
      f.seek(100);
      int v = f.read();
      f.seek(100);
      f.write(v ^ 0x40);
    }
    ConfigurationException e = assertThrows(ConfigurationException.class, () -> replay(dir));
    assertTrue(
        e.getMessage().contains(segments.get(0).toString())
            && e.getMessage().contains("damaged at byte 16"),
        e.getMessage());
  }

  @Test
  void concurrentAppendsShareForcedWrites() throws Exception {
    Journal j = Journal.open(dir, e -> {});
    List<CompletableFuture<Journal.Entry>> all = new ArrayList<>();
    List<Thread> threads = new ArrayList<>();
    for (int t = 0; t < 16; t++) {
      int n = t;
      threads.add(
          Thread.ofPlatform()
              .start(
                  () -> {
                    for (int i = 0; i < 50; i++) {
                      CompletableFuture<Journal.Entry> f = j.append(b(n + "/" + i), new byte[100]);
                      synchronized (all) {
                        all.add(f);
                      }
                      f.join();
                    }
                  }));
    }
    for (Thread t : threads) {
      t.join();
    }
    assertEquals(800, j.entries());
    assertTrue(j.syncs() < 800, "each append forced alone: " + j.syncs());
    j.close();
    List<Journal.Entry> seen = replay(dir);
    assertEquals(800, seen.size());
    // Each writer's entries are on disk in the order it appended them.
    for (int t = 0; t < 16; t++) {
      String prefix = t + "/";
      List<String> mine = metas(seen).stream().filter(m -> m.startsWith(prefix)).toList();
      assertEquals(50, mine.size());
      for (int i = 0; i < 50; i++) {
        assertEquals(prefix + i, mine.get(i));
      }
    }
  }

  @Test
  void aLazyEntryIsWrittenAtOnceAndForcedByTheNextForcedWriteOrWhenAskedFor() throws Exception {
    Journal j = Journal.open(dir, e -> {});
    long syncs = j.syncs();
    Journal.Entry lazy = j.appendLazily(b("queued"), b("stdin")).join();
    assertEquals(syncs, j.syncs(), "a lazy entry alone is not forced");
    // Written all the same: readable now, and by another process (a killed daemon loses nothing).
    assertArrayEquals(b("queued"), j.readMeta(lazy.position()));
    assertEquals(List.of("queued"), metas(readOnly(dir)));

    // The next forced entry takes it to disk: waiting for it then costs nothing more.
    j.appendAndWait(b("running"));
    long afterForced = j.syncs();
    assertEquals(syncs + 1, afterForced);
    j.awaitDurable(lazy.position());
    assertEquals(afterForced, j.syncs(), "already on disk: no second forced write");

    // Alone, asking for it forces it.
    Journal.Entry second = j.appendLazily(b("queued 2")).join();
    assertEquals(afterForced, j.syncs());
    j.awaitDurable(second.position());
    assertEquals(afterForced + 1, j.syncs(), "awaitDurable forced the lazy entry");
    j.awaitDurable(second.position());
    assertEquals(afterForced + 1, j.syncs());
    assertEquals(3, j.entries());
    j.close();
    assertEquals(List.of("queued", "running", "queued 2"), metas(replay(dir)));
  }

  /** What is in the journal's files now, read by a second journal without touching the first's writer. */
  static List<Journal.Entry> readOnly(Path dir) throws Exception {
    Path copy = Files.createTempDirectory("journal-copy");
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.toList()) {
        Files.copy(f, copy.resolve(f.getFileName()));
      }
    }
    try {
      return replay(copy);
    } finally {
      try (Stream<Path> files = Files.list(copy)) {
        for (Path f : files.toList()) {
          Files.delete(f);
        }
      }
      Files.delete(copy);
    }
  }

  static List<String> metas(List<Journal.Entry> entries) {
    return entries.stream().map(e -> new String(e.meta(), StandardCharsets.UTF_8)).toList();
  }
}
