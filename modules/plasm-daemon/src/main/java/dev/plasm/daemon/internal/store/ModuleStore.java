package dev.plasm.daemon.internal.store;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * Content-addressed modules: {@code modules/SHA256.wasm}. The file name is always the hash the
 * store computed, never a name a client chose.
 */
public final class ModuleStore {
  public static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");

  private final Path dir;

  public ModuleStore(Path stateDir) throws IOException {
    this.dir = AtomicFiles.privateDir(stateDir.resolve("modules"));
  }

  /** The result of an upload. */
  public record Stored(String sha256, long bytes, boolean created) {}

  /**
   * Stores a module from a stream of at most {@code max} bytes.
   *
   * @throws AtomicFiles.TooLargeException past {@code max}
   */
  public Stored put(InputStream in, long max) throws IOException {
    return put(in, max, null);
  }

  /** A module whose bytes do not hash to what was asked for (a peer sent other bytes). */
  public static final class HashMismatchException extends IOException {
    public HashMismatchException(String want, String got) {
      super("the module's bytes hash to " + got + ", not " + want);
    }
  }

  /**
   * Stores a module that must hash to {@code expected} (when not null): other bytes are deleted
   * before anything sees them.
   *
   * @throws HashMismatchException when they do not
   */
  public Stored put(InputStream in, long max, String expected) throws IOException {
    MessageDigest md = sha256();
    Path tmp =
        dir.resolve(".incoming-" + Thread.currentThread().threadId() + "-" + System.nanoTime());
    long n;
    try {
      n = AtomicFiles.copy(in, tmp, max, md);
    } catch (IOException | RuntimeException e) {
      Files.deleteIfExists(tmp);
      throw e;
    }
    String hash = HexFormat.of().formatHex(md.digest());
    if (expected != null && !expected.equals(hash)) {
      Files.deleteIfExists(tmp);
      throw new HashMismatchException(expected, hash);
    }
    Path target = path(hash);
    synchronized (this) {
      if (Files.exists(target)) {
        Files.delete(tmp);
        return new Stored(hash, n, false);
      }
      Files.move(tmp, target, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
      AtomicFiles.syncDir(dir);
    }
    return new Stored(hash, n, true);
  }

  /** Stores bytes already in memory. */
  public Stored put(byte[] bytes) throws IOException {
    return put(new java.io.ByteArrayInputStream(bytes), Long.MAX_VALUE);
  }

  public boolean has(String sha256) {
    return Files.isRegularFile(path(sha256));
  }

  /** The file of a module; {@code sha256} must match {@link #SHA256}. */
  public Path path(String sha256) {
    if (!SHA256.matcher(sha256).matches()) {
      throw new IllegalArgumentException("not a sha256: " + sha256);
    }
    return dir.resolve(sha256 + ".wasm");
  }

  public static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new AssertionError(e);
    }
  }
}
