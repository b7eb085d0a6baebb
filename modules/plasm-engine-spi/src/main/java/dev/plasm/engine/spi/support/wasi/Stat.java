package dev.plasm.engine.spi.support.wasi;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Instant;
import java.util.Map;

/** A WASI {@code filestat} from the host's attributes, and setting file times. */
final class Stat {
  private Stat() {}

  record Info(
      long dev, long ino, int filetype, long nlink, long size, long atim, long mtim, long ctim) {}

  /** The attributes of {@code p} itself (a symlink is not followed). */
  static Info of(Path p) throws IOException {
    try {
      Map<String, Object> a =
          Files.readAttributes(
              p,
              "unix:dev,ino,nlink,mode,size,lastAccessTime,lastModifiedTime,ctime",
              LinkOption.NOFOLLOW_LINKS);
      return new Info(
          (Long) a.get("dev"),
          (Long) a.get("ino"),
          filetype((Integer) a.get("mode")),
          (Integer) a.get("nlink"),
          (Long) a.get("size"),
          nanos((FileTime) a.get("lastAccessTime")),
          nanos((FileTime) a.get("lastModifiedTime")),
          nanos((FileTime) a.get("ctime")));
    } catch (UnsupportedOperationException | IllegalArgumentException e) {
      // Not a POSIX host: what the basic view knows.
      BasicFileAttributes b =
          Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      return new Info(
          0,
          0,
          filetype(b),
          1,
          b.size(),
          nanos(b.lastAccessTime()),
          nanos(b.lastModifiedTime()),
          nanos(b.lastModifiedTime()));
    }
  }

  /** What stdio descriptors report: a stream of unknown type (a pipe), everything else zero. */
  static Info stream() {
    return new Info(0, 0, Abi.FILETYPE_UNKNOWN, 1, 0, 0, 0, 0);
  }

  /** The inode number of {@code p} itself, or 0 if unknown. */
  static long ino(Path p) {
    try {
      return of(p).ino();
    } catch (IOException e) {
      return 0;
    }
  }

  /** Writes a filestat at {@code ptr} (checked by the caller); {@code size >= 0} replaces the size. */
  static void write(GuestMemory m, long ptr, Info i, long size) {
    int p = (int) ptr;
    m.write(p, new byte[Abi.FILESTAT_SIZE], 0, Abi.FILESTAT_SIZE);
    m.writeLong(p, i.dev());
    m.writeLong(p + 8, i.ino());
    m.writeByte(p + 16, (byte) i.filetype());
    m.writeLong(p + 24, i.nlink());
    m.writeLong(p + 32, size >= 0 ? size : i.size());
    m.writeLong(p + 40, i.atim());
    m.writeLong(p + 48, i.mtim());
    m.writeLong(p + 56, i.ctim());
  }

  static int filetype(int mode) {
    return switch (mode & 0170000) {
      case 0040000 -> Abi.FILETYPE_DIRECTORY;
      case 0100000 -> Abi.FILETYPE_REGULAR_FILE;
      case 0120000 -> Abi.FILETYPE_SYMBOLIC_LINK;
      case 0020000 -> Abi.FILETYPE_CHARACTER_DEVICE;
      case 0060000 -> 1; // block device
      case 0140000 -> 6; // socket (stream)
      default -> Abi.FILETYPE_UNKNOWN; // FIFOs have no WASI type
    };
  }

  static int filetype(BasicFileAttributes a) {
    if (a.isSymbolicLink()) {
      return Abi.FILETYPE_SYMBOLIC_LINK;
    } else if (a.isDirectory()) {
      return Abi.FILETYPE_DIRECTORY;
    } else if (a.isRegularFile()) {
      return Abi.FILETYPE_REGULAR_FILE;
    }
    return Abi.FILETYPE_UNKNOWN;
  }

  private static long nanos(FileTime t) {
    Instant i = t.toInstant();
    return i.getEpochSecond() * 1_000_000_000L + i.getNano();
  }

  /** Sets the access and/or modification time of {@code p} itself, as {@code fstflags} say. */
  static void setTimes(Path p, long atim, long mtim, int flags) throws WasiError, IOException {
    if ((flags & ~0xf) != 0
        || (flags & (Abi.FST_ATIM | Abi.FST_ATIM_NOW)) == (Abi.FST_ATIM | Abi.FST_ATIM_NOW)
        || (flags & (Abi.FST_MTIM | Abi.FST_MTIM_NOW)) == (Abi.FST_MTIM | Abi.FST_MTIM_NOW)) {
      throw new WasiError(Abi.INVAL);
    }
    if (p == null) {
      throw new WasiError(Abi.NOTSUP);
    }
    FileTime now = FileTime.from(Instant.now());
    FileTime access =
        (flags & Abi.FST_ATIM) != 0 ? time(atim) : (flags & Abi.FST_ATIM_NOW) != 0 ? now : null;
    FileTime modified =
        (flags & Abi.FST_MTIM) != 0 ? time(mtim) : (flags & Abi.FST_MTIM_NOW) != 0 ? now : null;
    if (access == null && modified == null) {
      return;
    }
    Files.getFileAttributeView(p, BasicFileAttributeView.class, LinkOption.NOFOLLOW_LINKS)
        .setTimes(modified, access, null);
  }

  private static FileTime time(long nanos) {
    return FileTime.from(
        Instant.ofEpochSecond(
            Math.floorDiv(nanos, 1_000_000_000L), Math.floorMod(nanos, 1_000_000_000L)));
  }
}
