package dev.plasm.daemon.internal.store;

import dev.plasm.api.ConfigurationException;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.zip.CRC32C;

/**
 * An append-only log of checksummed entries in numbered segment files ({@code 00000001.journal},
 * ...), written by one thread that forces each batch of appends to disk with one {@code fdatasync}
 * (group commit): appends that arrive while a batch is being forced go together in the next one, so
 * under load many entries share each forced write.
 *
 * <p>An entry is a small {@code meta} part (the caller's: here a job record) and any number of
 * {@code blobs} (a job's stdin, output, receipt), each readable later by its position without reading
 * the entry again. On disk, after a 16-byte segment header ({@code PLASMJNL}, version, reserved):
 *
 * <pre>
 * entry := u32 bodyLength | u32 crc32c(body) | body                     (big-endian)
 * body  := u32 metaLength | meta | u16 blobCount | u32 blobLength * blobCount | blob bytes, in order
 * </pre>
 *
 * <p>An append's future completes once the entry is on disk; a reader never learns of an entry
 * before that. After a crash, {@link #open} replays every whole entry; an entry cut short or damaged
 * at the end of the last segment (a write the crash interrupted, never acknowledged) is cut off. A
 * damaged entry anywhere else is disk corruption and stops the daemon with a message saying where.
 */
public final class Journal implements AutoCloseable {
  static final byte[] MAGIC = "PLASMJNL".getBytes(StandardCharsets.US_ASCII);
  static final int VERSION = 1;
  static final int HEADER_BYTES = 16;
  static final int ENTRY_HEADER_BYTES = 8;

  /** A segment is closed for writing once it has grown past this. */
  public static final long SEGMENT_BYTES = 64L << 20;

  /** Largest entry accepted on replay (stdin, stdout and stderr at their maximums fit). */
  static final long MAX_ENTRY_BYTES = 1L << 30;

  /** Most bytes written (and forced) as one batch; more waits for the next. */
  private static final long BATCH_BYTES = 16L << 20;

  private static final Pattern SEGMENT = Pattern.compile("(\\d{8})\\.journal");

  /** Bits of a position that hold the offset in its segment; the segment number is above them. */
  private static final int OFFSET_BITS = 40;

  /** One entry as replayed: its position, its meta part, and where each of its blobs is. */
  public record Entry(long position, byte[] meta, long[] blobPositions, int[] blobLengths) {}

  /** Told of every entry on disk, in order, when the journal is opened. */
  @FunctionalInterface
  public interface Replay {
    void entry(Entry e) throws IOException;
  }

  /** A region of a file: where a blob's bytes are. */
  public record Region(Path file, long offset, long length) {}

  /**
   * An append waiting for the writer. {@code lazy}: complete once written, forced by whichever
   * forced write comes next. A sync marker (no buffers, no meta) asks only for a forced write; the
   * close marker has null buffers.
   */
  private record Pending(
      ByteBuffer[] buffers,
      long bytes,
      CompletableFuture<Entry> done,
      byte[] meta,
      int[] blobLengths,
      boolean lazy) {}

  private final Path dir;
  private final LinkedBlockingQueue<Pending> queue = new LinkedBlockingQueue<>();
  private final Map<Long, FileChannel> readers = new ConcurrentHashMap<>();
  private final Thread writer;
  private final long segmentBytes;
  private final java.util.concurrent.atomic.AtomicLong syncs =
      new java.util.concurrent.atomic.AtomicLong();
  private final java.util.concurrent.atomic.AtomicLong written =
      new java.util.concurrent.atomic.AtomicLong();
  private volatile long segment;
  private FileChannel channel;
  private long size;
  private volatile IOException failed;
  private volatile boolean closing;

  /** Where the journal is forced up to: every entry that starts before this is on disk. */
  private volatile long durableThrough;

  private Journal(Path dir, long segmentBytes, long segment, FileChannel channel, long size) {
    this.dir = dir;
    this.segmentBytes = segmentBytes;
    this.segment = segment;
    this.channel = channel;
    this.size = size;
    this.durableThrough = position(segment, size);
    // A platform thread: it blocks in fdatasync, which would hold a virtual thread's carrier.
    this.writer = Thread.ofPlatform().daemon(true).name("plasm-journal").unstarted(this::writeLoop);
  }

  /** A position: the segment number and the offset in it, in one long. */
  public static long position(long segment, long offset) {
    return segment << OFFSET_BITS | offset;
  }

  public static long segmentOf(long position) {
    return position >>> OFFSET_BITS;
  }

  public static long offsetOf(long position) {
    return position & ((1L << OFFSET_BITS) - 1);
  }

  /**
   * Opens (creating) the journal in {@code dir}, replays every entry to {@code replay} in the order
   * written, and starts the writer.
   *
   * @throws ConfigurationException when a segment other than the last is damaged (corruption, not a
   *     crash: the message names the file and offset)
   */
  public static Journal open(Path dir, Replay replay) throws IOException {
    return open(dir, replay, SEGMENT_BYTES);
  }

  /** As {@link #open(Path, Replay)}, starting a new segment once one has grown past {@code segmentBytes}. */
  public static Journal open(Path dir, Replay replay, long segmentBytes) throws IOException {
    AtomicFiles.privateDir(dir);
    TreeMap<Long, Path> segments = new TreeMap<>();
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        Matcher m = SEGMENT.matcher(p.getFileName().toString());
        if (m.matches()) {
          segments.put(Long.parseLong(m.group(1)), p);
        }
      }
    }
    long last = segments.isEmpty() ? 0 : segments.lastKey();
    long lastSize = 0;
    for (Map.Entry<Long, Path> s : segments.entrySet()) {
      lastSize = replay(s.getKey(), s.getValue(), s.getKey() == last, replay);
    }
    Journal j;
    if (segments.isEmpty() || lastSize < HEADER_BYTES) {
      long n = Math.max(1, last);
      j = new Journal(dir, segmentBytes, n, createSegment(dir, n), HEADER_BYTES);
    } else {
      FileChannel ch = FileChannel.open(segments.get(last), StandardOpenOption.WRITE);
      ch.position(lastSize);
      // What a killed process wrote without forcing (lazy entries) was read back above: on disk
      // before anything is built on it.
      ch.force(false);
      j = new Journal(dir, segmentBytes, last, ch, lastSize);
    }
    j.writer.start();
    return j;
  }

  /** Replays one segment; returns the length of its whole entries (what the next write extends). */
  private static long replay(long number, Path file, boolean last, Replay replay)
      throws IOException {
    try (FileChannel ch =
        FileChannel.open(file, StandardOpenOption.READ, StandardOpenOption.WRITE)) {
      long fileSize = ch.size();
      ByteBuffer header = ByteBuffer.allocate(HEADER_BYTES);
      readFully(ch, header, 0);
      if (header.position() < HEADER_BYTES) {
        if (!last) {
          throw damaged(file, 0, "its header is cut short");
        }
        return 0; // created by a write the crash interrupted: rewritten
      }
      header.flip();
      byte[] magic = new byte[MAGIC.length];
      header.get(magic);
      int version = header.getInt();
      if (!Arrays.equals(magic, MAGIC) || version != VERSION) {
        throw new ConfigurationException(
            "state-dir",
            "the job journal "
                + file
                + " is not a Plasm journal of version "
                + VERSION
                + " (written by another version of Plasm?); move it out of the state directory to start");
      }
      long pos = HEADER_BYTES;
      ByteBuffer eh = ByteBuffer.allocate(ENTRY_HEADER_BYTES);
      while (pos < fileSize) {
        eh.clear();
        readFully(ch, eh, pos);
        String bad = null;
        long length = -1;
        int crc = 0;
        if (eh.position() < ENTRY_HEADER_BYTES) {
          bad = "an entry's header is cut short";
        } else {
          eh.flip();
          length = Integer.toUnsignedLong(eh.getInt());
          crc = eh.getInt();
          if (length < 6
              || length > MAX_ENTRY_BYTES
              || length > fileSize - pos - ENTRY_HEADER_BYTES) {
            bad = "an entry's length (" + length + ") runs past the end of the file";
          }
        }
        Entry e = null;
        if (bad == null) {
          e = readEntry(ch, number, pos, length, crc);
          if (e == null) {
            bad = "an entry's checksum does not match";
          }
        }
        if (bad != null) {
          if (!last) {
            throw damaged(file, pos, bad);
          }
          // The crash interrupted this append; it was never acknowledged. Cut it off.
          ch.truncate(pos);
          ch.force(true);
          return pos;
        }
        replay.entry(e);
        pos += ENTRY_HEADER_BYTES + length;
      }
      return pos;
    }
  }

  private static ConfigurationException damaged(Path file, long offset, String what) {
    return new ConfigurationException(
        "state-dir",
        "the job journal "
            + file
            + " is damaged at byte "
            + offset
            + " ("
            + what
            + "), and it is not the last segment, so this is not a write a crash interrupted but a damaged disk or file; "
            + "copy the state directory for inspection, then move that segment and the later ones out of the journal "
            + "directory to start (the jobs recorded from there on are lost)");
  }

  /** Reads and checks one entry's body; null when its checksum does not match or its structure is broken. */
  private static Entry readEntry(FileChannel ch, long segment, long pos, long length, int crc)
      throws IOException {
    long bodyAt = pos + ENTRY_HEADER_BYTES;
    CRC32C sum = new CRC32C();
    // The meta part and the blob lengths are kept; blob bytes are only checksummed (they may be
    // large).
    ByteBuffer head = ByteBuffer.allocate((int) Math.min(length, 64 * 1024));
    readFully(ch, head, bodyAt);
    head.flip();
    if (head.remaining() < 6) {
      return null;
    }
    int metaLength = head.getInt(0);
    if (metaLength < 0 || 4L + metaLength + 2 > length) {
      return null;
    }
    byte[] meta = new byte[metaLength];
    ByteBuffer m = ByteBuffer.wrap(meta);
    long at = bodyAt + 4;
    readFully(ch, m, at);
    at += metaLength;
    ByteBuffer counts = ByteBuffer.allocate(2);
    readFully(ch, counts, at);
    counts.flip();
    int blobs = Short.toUnsignedInt(counts.getShort());
    at += 2;
    if (at + 4L * blobs > bodyAt + length) {
      return null;
    }
    ByteBuffer lens = ByteBuffer.allocate(4 * blobs);
    readFully(ch, lens, at);
    lens.flip();
    at += 4L * blobs;
    long[] positions = new long[blobs];
    int[] lengths = new int[blobs];
    long blobAt = at;
    for (int i = 0; i < blobs; i++) {
      lengths[i] = lens.getInt();
      if (lengths[i] < 0) {
        return null;
      }
      positions[i] = position(segment, blobAt);
      blobAt += lengths[i];
    }
    if (blobAt != bodyAt + length) {
      return null;
    }
    // Checksum the whole body in chunks.
    ByteBuffer chunk = ByteBuffer.allocate(64 * 1024);
    long left = length;
    long p = bodyAt;
    while (left > 0) {
      chunk.clear().limit((int) Math.min(chunk.capacity(), left));
      int r = ch.read(chunk, p);
      if (r <= 0) {
        return null;
      }
      chunk.flip();
      sum.update(chunk);
      p += r;
      left -= r;
    }
    if ((int) sum.getValue() != crc) {
      return null;
    }
    return new Entry(position(segment, pos), meta, positions, lengths);
  }

  private static void readFully(FileChannel ch, ByteBuffer b, long pos) throws IOException {
    while (b.hasRemaining()) {
      int r = ch.read(b, pos);
      if (r < 0) {
        return;
      }
      pos += r;
    }
  }

  private static FileChannel createSegment(Path dir, long n) throws IOException {
    Path file = segmentFile(dir, n);
    Files.deleteIfExists(file); // a header cut short by a crash
    FileChannel ch =
        FileChannel.open(
            file,
            Set.of(StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE),
            PosixFilePermissions.asFileAttribute(AtomicFiles.PRIVATE_FILE));
    ByteBuffer h = ByteBuffer.allocate(HEADER_BYTES).put(MAGIC).putInt(VERSION).putInt(0).flip();
    while (h.hasRemaining()) {
      ch.write(h);
    }
    ch.force(true);
    AtomicFiles.syncDir(dir); // the segment's name is as durable as what will be written in it
    return ch;
  }

  private static Path segmentFile(Path dir, long n) {
    return dir.resolve(String.format("%08d.journal", n));
  }

  /**
   * Appends an entry; the future completes, with where the entry and its blobs are, once it is on
   * disk (or fails when it could not be written: the journal is then unusable and says so).
   */
  public CompletableFuture<Entry> append(byte[] meta, byte[]... blobs) {
    return append(false, meta, blobs);
  }

  /**
   * Appends an entry that need not be on disk yet: the future completes once it is written (in the
   * file, which a killed process does not lose), and the next forced write, whoever asks for it,
   * takes it to disk. For a record nobody relies on until a later entry of the same job, which is
   * forced, or until {@link #awaitDurable} says so.
   */
  public CompletableFuture<Entry> appendLazily(byte[] meta, byte[]... blobs) {
    return append(true, meta, blobs);
  }

  /** Waits until the entry at {@code position} is on disk, forcing the journal if need be. */
  public void awaitDurable(long position) throws IOException {
    if (position < durableThrough) {
      return;
    }
    CompletableFuture<Entry> done = new CompletableFuture<>();
    IOException f = failed;
    if (f != null) {
      throw new IOException("the job journal cannot be written: " + f.getMessage(), f);
    }
    queue.add(new Pending(new ByteBuffer[0], 0, done, null, new int[0], false));
    if (closing && !writer.isAlive()) {
      done.completeExceptionally(new IOException("the job journal is closed"));
    }
    try {
      done.join();
    } catch (java.util.concurrent.CompletionException e) {
      throw e.getCause() instanceof IOException io
          ? new IOException(io.getMessage(), io)
          : new IOException(String.valueOf(e.getCause()), e.getCause());
    }
  }

  private CompletableFuture<Entry> append(boolean lazy, byte[] meta, byte[]... blobs) {
    CompletableFuture<Entry> done = new CompletableFuture<>();
    IOException f = failed;
    if (f != null || closing) {
      done.completeExceptionally(
          f != null
              ? new IOException("the job journal cannot be written: " + f.getMessage(), f)
              : new IOException("the job journal is closed"));
      return done;
    }
    int[] lengths = new int[blobs.length];
    long blobBytes = 0;
    for (int i = 0; i < blobs.length; i++) {
      lengths[i] = blobs[i].length;
      blobBytes += blobs[i].length;
    }
    int headLength = 4 + meta.length + 2 + 4 * blobs.length;
    long body = headLength + blobBytes;
    if (blobs.length > 0xffff || body > MAX_ENTRY_BYTES) {
      done.completeExceptionally(
          new IOException("a journal entry of " + body + " bytes is over the limit"));
      return done;
    }
    ByteBuffer head =
        ByteBuffer.allocate(ENTRY_HEADER_BYTES + headLength).order(ByteOrder.BIG_ENDIAN);
    head.putInt((int) body).putInt(0).putInt(meta.length).put(meta).putShort((short) blobs.length);
    for (int l : lengths) {
      head.putInt(l);
    }
    CRC32C crc = new CRC32C();
    crc.update(head.array(), ENTRY_HEADER_BYTES, headLength);
    ByteBuffer[] buffers = new ByteBuffer[1 + blobs.length];
    for (int i = 0; i < blobs.length; i++) {
      crc.update(blobs[i]);
      buffers[i + 1] = ByteBuffer.wrap(blobs[i]);
    }
    head.putInt(4, (int) crc.getValue()).flip();
    buffers[0] = head;
    queue.add(new Pending(buffers, ENTRY_HEADER_BYTES + body, done, meta, lengths, lazy));
    if (closing && !writer.isAlive()) {
      done.completeExceptionally(new IOException("the job journal is closed"));
    }
    return done;
  }

  /** As {@link #append}, waiting until the entry is on disk. */
  public Entry appendAndWait(byte[] meta, byte[]... blobs) throws IOException {
    try {
      return append(meta, blobs).join();
    } catch (java.util.concurrent.CompletionException e) {
      if (e.getCause() instanceof IOException io) {
        throw new IOException(io.getMessage(), io);
      }
      throw e;
    }
  }

  private void writeLoop() {
    List<Pending> batch = new ArrayList<>();
    boolean stop = false;
    while (!stop) {
      try {
        Pending next = queue.take();
        long bytes = 0;
        do {
          if (next.buffers() == null) {
            stop = true; // close(): write what came before, then end
            break;
          }
          batch.add(next);
          bytes += next.bytes();
        } while (bytes < BATCH_BYTES && (next = queue.poll()) != null);
        if (!batch.isEmpty()) {
          write(batch);
        }
      } catch (InterruptedException e) {
        stop = true;
      } catch (IOException | RuntimeException e) {
        IOException io = e instanceof IOException x ? x : new IOException(e.toString(), e);
        failed =
            io; // an unknown state on disk after a failed write or force: nothing more is written
        for (Pending p : batch) {
          p.done().completeExceptionally(io);
        }
      }
      batch.clear();
    }
    IOException closed = new IOException("the job journal is closed");
    for (Pending p; (p = queue.poll()) != null; ) {
      if (p.done() != null) {
        p.done().completeExceptionally(closed);
      }
    }
  }

  private void write(List<Pending> batch) throws IOException {
    if (failed != null) {
      throw failed;
    }
    if (size >= segmentBytes) {
      channel.force(false);
      channel.close();
      segment++;
      channel = createSegment(dir, segment);
      size = HEADER_BYTES;
      durableThrough = position(segment, size);
    }
    int n = 0;
    boolean force = false;
    int entryCount = 0;
    for (Pending p : batch) {
      n += p.buffers().length;
      force |= !p.lazy();
      entryCount += p.meta() == null ? 0 : 1;
    }
    ByteBuffer[] all = new ByteBuffer[n];
    Entry[] entries = new Entry[batch.size()];
    int k = 0;
    long at = size;
    for (int i = 0; i < batch.size(); i++) {
      Pending p = batch.get(i);
      if (p.meta() == null) {
        continue; // a sync marker: no entry
      }
      for (ByteBuffer b : p.buffers()) {
        all[k++] = b;
      }
      long blobAt = at + ENTRY_HEADER_BYTES + 4 + p.meta().length + 2 + 4L * p.blobLengths().length;
      long[] positions = new long[p.blobLengths().length];
      for (int j = 0; j < positions.length; j++) {
        positions[j] = position(segment, blobAt);
        blobAt += p.blobLengths()[j];
      }
      entries[i] = new Entry(position(segment, at), p.meta(), positions, p.blobLengths());
      at += p.bytes();
    }
    long left = at - size;
    while (left > 0) {
      left -= channel.write(all);
    }
    size = at;
    if (force) {
      channel.force(false);
      syncs.incrementAndGet();
      durableThrough = position(segment, size);
    }
    written.addAndGet(entryCount);
    for (int i = 0; i < batch.size(); i++) {
      batch.get(i).done().complete(entries[i]);
    }
  }

  /** Times the journal was forced to disk (each a group of appends), since it was opened. */
  public long syncs() {
    return syncs.get();
  }

  /** Entries written since the journal was opened. */
  public long entries() {
    return written.get();
  }

  /** The segment appends go to now; every segment numbered below it is sealed (never written again). */
  public long currentSegment() {
    return segment;
  }

  /**
   * Deletes the sealed segments numbered below {@code first} (never the one being written), once
   * nothing the caller still needs is in them. Whoever replays the journal later sees only the entries
   * from {@code first} on, so the caller must have nothing there that a later entry depends on.
   *
   * @return the bytes freed
   */
  public long dropSegmentsBefore(long first) throws IOException {
    long below = Math.min(first, segment);
    long freed = 0;
    try (DirectoryStream<Path> ds = Files.newDirectoryStream(dir)) {
      for (Path p : ds) {
        Matcher m = SEGMENT.matcher(p.getFileName().toString());
        if (!m.matches()) {
          continue;
        }
        long n = Long.parseLong(m.group(1));
        if (n >= below) {
          continue;
        }
        FileChannel r = readers.remove(n);
        if (r != null) {
          r.close(); // a read already under way on it fails; its job was forgotten
        }
        freed += Files.size(p);
        Files.delete(p);
      }
    }
    if (freed > 0) {
      AtomicFiles.syncDir(dir);
    }
    return freed;
  }

  /** Where the blob at {@code position} of {@code length} bytes is. */
  public Region region(long position, long length) {
    return new Region(segmentFile(dir, segmentOf(position)), offsetOf(position), length);
  }

  /** Reads {@code length} bytes at {@code position} (a blob, or an entry's meta part). */
  public byte[] read(long position, int length) throws IOException {
    FileChannel ch = readers.get(segmentOf(position));
    if (ch == null) {
      ch =
          readers.computeIfAbsent(
              segmentOf(position),
              s -> {
                try {
                  return FileChannel.open(segmentFile(dir, s), StandardOpenOption.READ);
                } catch (IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              });
    }
    ByteBuffer b = ByteBuffer.allocate(length);
    readFully(ch, b, offsetOf(position));
    if (b.hasRemaining()) {
      throw new IOException(
          "the job journal ends before "
              + length
              + " bytes at "
              + offsetOf(position)
              + " of segment "
              + segmentOf(position));
    }
    return b.array();
  }

  /** Reads an entry's meta part back (e.g. a job's whole record, which memory holds only in part). */
  public byte[] readMeta(long entryPosition) throws IOException {
    byte[] len =
        read(position(segmentOf(entryPosition), offsetOf(entryPosition) + ENTRY_HEADER_BYTES), 4);
    int n = ByteBuffer.wrap(len).getInt();
    return read(
        position(segmentOf(entryPosition), offsetOf(entryPosition) + ENTRY_HEADER_BYTES + 4), n);
  }

  /** Finishes what was appended, then stops writing. */
  @Override
  public void close() {
    closing = true;
    queue.add(new Pending(null, 0, null, null, null, false));
    try {
      writer.join(10_000);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    try {
      channel.force(false); // lazy entries too, though nothing acknowledged needs it
      channel.close();
    } catch (IOException e) {
      // Everything acknowledged was forced already.
    }
    for (FileChannel r : readers.values()) {
      try {
        r.close();
      } catch (IOException e) {
        // Read-only.
      }
    }
  }
}
