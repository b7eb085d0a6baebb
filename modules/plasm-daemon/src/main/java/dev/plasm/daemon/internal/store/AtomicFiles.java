package dev.plasm.daemon.internal.store;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * Durable writes: a file is written beside its final name, forced to disk, renamed over it, and the
 * directory forced, so after a crash a reader sees the old file or the new one, never half of one.
 */
public final class AtomicFiles {
  private AtomicFiles() {}

  public static final Set<PosixFilePermission> PRIVATE_FILE =
      PosixFilePermissions.fromString("rw-------");
  public static final Set<PosixFilePermission> PRIVATE_DIR =
      PosixFilePermissions.fromString("rwx------");

  /** Writes {@code bytes} to {@code file} atomically and durably (mode 0600). */
  public static void write(Path file, byte[] bytes) throws IOException {
    write(file, bytes, true);
  }

  /**
   * Writes {@code bytes} to {@code file} atomically with its contents forced to disk; the rename is
   * forced too when {@code syncDir}. Without it, a crash may leave the previous version (never a torn
   * one): for callers whose next durable write in the same directory forces the rename anyway, or
   * for whom the previous version is a state recovery handles.
   */
  public static void write(Path file, byte[] bytes, boolean syncDir) throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = Files.createTempFile(dir, "." + file.getFileName(), ".tmp");
    try {
      try (FileChannel ch =
          FileChannel.open(tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)) {
        ByteBuffer b = ByteBuffer.wrap(bytes);
        while (b.hasRemaining()) {
          ch.write(b);
        }
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      if (syncDir) {
        syncDir(dir);
      }
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /**
   * Copies a stream to {@code file} atomically, refusing more than {@code max} bytes.
   *
   * @return the bytes copied
   * @throws TooLargeException past {@code max} (nothing is left behind)
   */
  public static long copy(InputStream in, Path file, long max, java.security.MessageDigest digest)
      throws IOException {
    Path dir = file.toAbsolutePath().getParent();
    Path tmp = Files.createTempFile(dir, ".upload", ".tmp");
    try {
      long n = 0;
      try (FileChannel ch =
              FileChannel.open(
                  tmp, StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING);
          OutputStream out = java.nio.channels.Channels.newOutputStream(ch)) {
        byte[] buf = new byte[64 * 1024];
        int r;
        while ((r = in.read(buf)) > 0) {
          n += r;
          if (n > max) {
            throw new TooLargeException(max);
          }
          digest.update(buf, 0, r);
          out.write(buf, 0, r);
        }
        out.flush();
        ch.force(true);
      }
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      syncDir(dir);
      return n;
    } finally {
      Files.deleteIfExists(tmp);
    }
  }

  /** A body or file over its cap. */
  public static final class TooLargeException extends IOException {
    private final long max;

    public TooLargeException(long max) {
      super("more than " + max + " bytes");
      this.max = max;
    }

    public long max() {
      return max;
    }
  }

  /** Forces a directory's entries (a rename) to disk; a no-op where directories cannot be opened. */
  public static void syncDir(Path dir) {
    try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
      ch.force(true);
    } catch (IOException | UnsupportedOperationException e) {
      // Some file systems refuse to open directories; the rename itself is still atomic.
    }
  }

  /** Creates a new directory readable only by its owner and forces its entry in the parent to disk. */
  public static Path newPrivateDir(Path dir) throws IOException {
    Files.createDirectory(dir, PosixFilePermissions.asFileAttribute(PRIVATE_DIR));
    syncDir(dir.toAbsolutePath().getParent());
    return dir;
  }

  /** Creates a directory (and parents) readable only by its owner. */
  public static Path privateDir(Path dir) throws IOException {
    if (!Files.isDirectory(dir)) {
      Files.createDirectories(dir);
      try {
        Files.setPosixFilePermissions(dir, PRIVATE_DIR);
      } catch (UnsupportedOperationException e) {
        // Not a POSIX file system.
      }
    }
    return dir;
  }
}
