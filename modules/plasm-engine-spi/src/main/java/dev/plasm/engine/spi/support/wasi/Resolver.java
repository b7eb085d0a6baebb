package dev.plasm.engine.spi.support.wasi;

import java.io.IOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.FileSystemLoopException;
import java.nio.file.Files;
import java.nio.file.InvalidPathException;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.NotLinkException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;

/**
 * Resolves a guest path beneath a directory descriptor the way WASI (and wasmtime's cap-std)
 * does: component by component on the host, following symlinks itself, so that nothing resolves
 * outside the directory the guest named. {@code ..} above that directory, absolute paths and
 * absolute symlink targets are {@code NOTCAPABLE}; more than {@value #MAX_SYMLINKS} symlinks are
 * {@code LOOP}.
 *
 * <p>Every directory on the way is checked to be a directory, not a symlink, when it is passed;
 * the operation then works on {@code dir/name} without following a final symlink. A host process
 * (never the guest, which has no threads) that swaps a directory for a symlink between the check
 * and the operation could still redirect it: preopen directories that others cannot write.
 */
final class Resolver {
  static final int MAX_SYMLINKS = 40;

  private Resolver() {}

  /**
   * Where a path leads.
   *
   * @param dir the real host directory holding the last component (or named by the path)
   * @param name the last component, or null when the path names {@code dir} itself ({@code .})
   * @param trailingSlash whether the path ended with {@code /} (it must then be a directory)
   * @param attrs the last component's own attributes (a symlink is not followed), or null if it
   *     does not exist
   */
  record Target(Path dir, String name, boolean trailingSlash, BasicFileAttributes attrs) {
    Path host() {
      return name == null ? dir : dir.resolve(name);
    }

    boolean exists() {
      return attrs != null;
    }

    boolean isSymlink() {
      return attrs != null && attrs.isSymbolicLink();
    }

    boolean isDirectory() {
      return attrs != null && attrs.isDirectory();
    }
  }

  /**
   * Resolves {@code path} beneath {@code start} (a real directory). A final symlink is followed when
   * {@code followFinal} or when the path ends with a slash; symlinks before it always are.
   */
  static Target resolve(Path start, String path, boolean followFinal) throws WasiError {
    if (path.isEmpty()) {
      throw new WasiError(Abi.NOENT);
    }
    if (path.indexOf('\0') >= 0) {
      throw new WasiError(Abi.INVAL);
    }
    if (path.startsWith("/")) {
      throw new WasiError(Abi.NOTCAPABLE);
    }
    verified(start);
    boolean trailing = path.endsWith("/");
    Deque<String> parts = split(path);
    Deque<Path> dirs = new ArrayDeque<>();
    dirs.push(start);
    int links = 0;
    while (!parts.isEmpty()) {
      String c = parts.pollFirst();
      boolean last = parts.isEmpty();
      if (c.equals(".")) {
        continue;
      }
      if (c.equals("..")) {
        if (dirs.size() == 1) {
          throw new WasiError(Abi.NOTCAPABLE);
        }
        dirs.pop();
        continue;
      }
      Path here = dirs.peek();
      Path p = child(here, c);
      BasicFileAttributes a = lstat(p);
      if (a == null) {
        if (last) {
          return new Target(here, c, trailing, null);
        }
        throw new WasiError(Abi.NOENT);
      }
      if (a.isSymbolicLink() && (!last || followFinal || trailing)) {
        if (++links > MAX_SYMLINKS) {
          throw new WasiError(Abi.LOOP);
        }
        String target = readLink(p);
        if (target.isEmpty()) {
          throw new WasiError(Abi.NOENT);
        }
        if (target.startsWith("/")) {
          throw new WasiError(Abi.NOTCAPABLE);
        }
        if (last && target.endsWith("/")) {
          trailing = true;
        }
        Deque<String> expanded = split(target);
        while (!expanded.isEmpty()) {
          parts.addFirst(expanded.pollLast());
        }
        continue;
      }
      if (last) {
        return new Target(here, c, trailing, a);
      }
      if (!a.isDirectory()) {
        throw new WasiError(Abi.NOTDIR);
      }
      dirs.push(p);
    }
    // The path named a directory on the way ("." or "a/..").
    Path dir = dirs.peek();
    return new Target(dir, null, trailing, lstat(dir));
  }

  /**
   * Returns {@code p} if no component of it is a symlink now. A descriptor keeps the host path it
   * was opened at; the guest may since have renamed that directory and put a symlink in its place,
   * which must not lead anywhere. A descriptor whose path changed so reports {@code NOENT}.
   */
  static Path verified(Path p) throws WasiError {
    try {
      if (p.toRealPath().equals(p)) {
        return p;
      }
    } catch (IOException e) {
      // gone, or no longer reachable
    }
    throw new WasiError(Abi.NOENT);
  }

  /** The path's components without empty ones ("a//b/" is a, b). */
  private static Deque<String> split(String path) {
    Deque<String> parts = new ArrayDeque<>();
    for (String s : path.split("/")) {
      if (!s.isEmpty()) {
        parts.addLast(s);
      }
    }
    if (parts.isEmpty()) {
      parts.add("."); // "/" alone cannot reach here; "//" after a symlink target is "."
    }
    return parts;
  }

  static Path child(Path dir, String name) throws WasiError {
    try {
      return dir.resolve(name);
    } catch (InvalidPathException e) {
      // Not representable on the host (e.g. invalid in its file-name encoding).
      throw new WasiError(Abi.ILSEQ);
    }
  }

  /** The attributes of {@code p} itself (no symlink followed), or null if it does not exist. */
  static BasicFileAttributes lstat(Path p) throws WasiError {
    try {
      return Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
    } catch (NoSuchFileException e) {
      return null;
    } catch (IOException e) {
      throw new WasiError(errno(e));
    }
  }

  private static String readLink(Path p) throws WasiError {
    try {
      return Files.readSymbolicLink(p).toString();
    } catch (IOException e) {
      throw new WasiError(errno(e));
    }
  }

  private static final Map<String, Integer> REASONS =
      Map.ofEntries(
          Map.entry("Is a directory", Abi.ISDIR),
          Map.entry("Not a directory", Abi.NOTDIR),
          Map.entry("Directory not empty", Abi.NOTEMPTY),
          Map.entry("Operation not permitted", Abi.PERM),
          Map.entry("Permission denied", Abi.ACCES),
          Map.entry("Invalid argument", Abi.INVAL),
          Map.entry("File name too long", Abi.NAMETOOLONG),
          Map.entry("No space left on device", Abi.NOSPC),
          Map.entry("Read-only file system", Abi.ROFS),
          Map.entry("Invalid cross-device link", Abi.XDEV),
          Map.entry("File exists", Abi.EXIST),
          Map.entry("Too many links", Abi.MLINK),
          Map.entry("File too large", Abi.FBIG),
          Map.entry("No such file or directory", Abi.NOENT),
          Map.entry("Device or resource busy", Abi.BUSY));

  /** The errno of a host I/O failure (java.nio gives the host's strerror text as the reason). */
  static int errno(IOException e) {
    if (e instanceof NoSuchFileException) {
      return Abi.NOENT;
    } else if (e instanceof FileAlreadyExistsException) {
      return Abi.EXIST;
    } else if (e instanceof DirectoryNotEmptyException) {
      return Abi.NOTEMPTY;
    } else if (e instanceof NotDirectoryException) {
      return Abi.NOTDIR;
    } else if (e instanceof AccessDeniedException) {
      return Abi.ACCES;
    } else if (e instanceof NotLinkException) {
      return Abi.INVAL;
    } else if (e instanceof FileSystemLoopException) {
      return Abi.LOOP;
    } else if (e instanceof AtomicMoveNotSupportedException) {
      return Abi.XDEV;
    } else if (e instanceof FileSystemException f && f.getReason() != null) {
      String reason = f.getReason();
      if (reason.startsWith("Too many levels of symbolic links")) {
        return Abi.LOOP;
      }
      return REASONS.getOrDefault(reason, Abi.IO);
    }
    return Abi.IO;
  }
}
