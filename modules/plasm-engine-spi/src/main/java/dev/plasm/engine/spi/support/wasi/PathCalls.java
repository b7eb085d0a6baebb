package dev.plasm.engine.spi.support.wasi;

import static dev.plasm.engine.spi.support.wasi.Guest.u32;

import dev.plasm.engine.spi.support.wasi.Descriptors.Descriptor;
import dev.plasm.engine.spi.support.wasi.Descriptors.Directory;
import dev.plasm.engine.spi.support.wasi.Descriptors.File;
import dev.plasm.engine.spi.support.wasi.Resolver.Target;
import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The {@code path_*} calls and {@code fd_readdir}: everything that names files. Each resolves its
 * path with {@link Resolver} beneath the directory descriptor it is given and then works on the host
 * path without following a final symlink.
 */
final class PathCalls {
  private final Descriptors fds;

  PathCalls(Descriptors fds) {
    this.fds = fds;
  }

  /** A directory descriptor that may change things: its rights, and never a read-only preopen's. */
  private Directory writable(int fd, long rights) throws WasiError {
    Directory d = fds.directory(fd, rights);
    if (d.readOnly) {
      throw new WasiError(Abi.NOTCAPABLE);
    }
    return d;
  }

  int open(int dirfd, int lookup, String path, int oflags, long base, long inheriting, int fdflags)
      throws WasiError, IOException {
    long needed = Abi.PATH_OPEN;
    if ((oflags & Abi.O_CREAT) != 0) {
      needed |= Abi.PATH_CREATE_FILE;
    }
    if ((oflags & Abi.O_TRUNC) != 0) {
      needed |= Abi.PATH_FILESTAT_SET_SIZE;
    }
    Directory dir = fds.directory(dirfd, needed);
    if ((oflags & ~0xf) != 0 || (fdflags & ~Abi.FDFLAGS_ALL) != 0) {
      throw new WasiError(Abi.INVAL);
    }
    if ((oflags & (Abi.O_CREAT | Abi.O_TRUNC)) != 0 && dir.readOnly) {
      throw new WasiError(Abi.NOTCAPABLE);
    }
    Target t = Resolver.resolve(dir.real, path, (lookup & Abi.LOOKUP_SYMLINK_FOLLOW) != 0);
    boolean create = false;
    if (!t.exists()) {
      if ((oflags & Abi.O_CREAT) == 0) {
        throw new WasiError(Abi.NOENT);
      }
      if (t.trailingSlash()) {
        throw new WasiError(Abi.ISDIR);
      }
      if ((oflags & Abi.O_DIRECTORY) != 0) {
        throw new WasiError(Abi.INVAL);
      }
      create = true;
    } else {
      if ((oflags & (Abi.O_CREAT | Abi.O_EXCL)) == (Abi.O_CREAT | Abi.O_EXCL)) {
        throw new WasiError(Abi.EXIST);
      }
      if (t.isSymlink()) {
        // A final symlink that is not followed: open(2) with O_NOFOLLOW.
        throw new WasiError((oflags & Abi.O_DIRECTORY) != 0 ? Abi.NOTDIR : Abi.LOOP);
      }
      if (t.isDirectory()) {
        if ((oflags & Abi.O_TRUNC) != 0 || (base & Abi.FD_WRITE) != 0) {
          throw new WasiError(Abi.ISDIR); // like open(2) of a directory for writing
        }
        Directory opened =
            new Directory(
                t.host(),
                null,
                dir.readOnly,
                base & Abi.DIRECTORY_RIGHTS & dir.inheriting,
                inheriting & dir.inheriting);
        opened.fdflags = fdflags;
        return fds.add(opened);
      }
      if ((oflags & Abi.O_DIRECTORY) != 0 || t.trailingSlash()) {
        throw new WasiError(Abi.NOTDIR);
      }
    }
    long fileBase = base & Abi.FILE_RIGHTS & dir.inheriting;
    // java.nio creates and truncates only through a channel opened for writing; the descriptor's
    // rights, not the channel's mode, decide what the guest may do with it.
    boolean write =
        (fileBase & (Abi.FD_WRITE | Abi.FD_ALLOCATE | Abi.FD_FILESTAT_SET_SIZE)) != 0
            || (oflags & Abi.O_TRUNC) != 0
            || create;
    Set<OpenOption> options = new HashSet<>();
    options.add(LinkOption.NOFOLLOW_LINKS);
    if ((fileBase & Abi.FD_READ) != 0 || !write) {
      options.add(StandardOpenOption.READ);
    }
    if (write) {
      options.add(StandardOpenOption.WRITE);
    }
    if (create) {
      options.add(StandardOpenOption.CREATE_NEW);
    }
    if ((oflags & Abi.O_TRUNC) != 0) {
      options.add(StandardOpenOption.TRUNCATE_EXISTING);
    }
    Path host = t.host();
    FileChannel channel = FileChannel.open(host, options);
    int filetype = create ? Abi.FILETYPE_REGULAR_FILE : Stat.filetype(t.attrs());
    File f = new File(channel, host, filetype, fileBase, inheriting & dir.inheriting, fdflags);
    try {
      return fds.add(f);
    } catch (WasiError e) {
      channel.close();
      throw e;
    }
  }

  void createDirectory(int dirfd, String path) throws WasiError, IOException {
    Directory dir = writable(dirfd, Abi.PATH_CREATE_DIRECTORY);
    Target t = Resolver.resolve(dir.real, path, false);
    if (t.exists() || t.name() == null) {
      throw new WasiError(Abi.EXIST);
    }
    Files.createDirectory(t.host());
  }

  void filestatGet(GuestMemory m, int dirfd, int lookup, String path, long ptr)
      throws WasiError, IOException {
    Directory dir = fds.directory(dirfd, Abi.PATH_FILESTAT_GET);
    Target t = existing(dir, path, (lookup & Abi.LOOKUP_SYMLINK_FOLLOW) != 0);
    Guest.check(m, ptr, Abi.FILESTAT_SIZE);
    Stat.write(m, ptr, Stat.of(t.host()), -1);
  }

  void filestatSetTimes(int dirfd, int lookup, String path, long atim, long mtim, int flags)
      throws WasiError, IOException {
    Directory dir = writable(dirfd, Abi.PATH_FILESTAT_SET_TIMES);
    Target t = existing(dir, path, (lookup & Abi.LOOKUP_SYMLINK_FOLLOW) != 0);
    Stat.setTimes(t.host(), atim, mtim, flags);
  }

  /** An existing target; a trailing slash on something other than a directory is NOTDIR. */
  private static Target existing(Directory dir, String path, boolean follow) throws WasiError {
    Target t = Resolver.resolve(dir.real, path, follow);
    if (!t.exists()) {
      throw new WasiError(Abi.NOENT);
    }
    if (t.trailingSlash() && !t.isDirectory()) {
      throw new WasiError(Abi.NOTDIR);
    }
    return t;
  }

  void link(int oldfd, int lookup, String oldPath, int newfd, String newPath)
      throws WasiError, IOException {
    Directory from = writable(oldfd, Abi.PATH_LINK_SOURCE);
    Directory to = writable(newfd, Abi.PATH_LINK_TARGET);
    Target source = existing(from, oldPath, (lookup & Abi.LOOKUP_SYMLINK_FOLLOW) != 0);
    if (source.isDirectory()) {
      throw new WasiError(Abi.PERM); // link(2) of a directory
    }
    Target target = Resolver.resolve(to.real, newPath, false);
    if (target.exists() || target.name() == null) {
      throw new WasiError(Abi.EXIST);
    }
    if (target.trailingSlash()) {
      throw new WasiError(Abi.NOENT);
    }
    // link(2) on Linux links a symlink itself, never what it points to.
    Files.createLink(target.host(), source.host());
  }

  void readlink(GuestMemory m, int dirfd, String path, long buf, long len, long usedPtr)
      throws WasiError, IOException {
    Directory dir = fds.directory(dirfd, Abi.PATH_READLINK);
    Target t = Resolver.resolve(dir.real, path, false);
    if (!t.exists()) {
      throw new WasiError(Abi.NOENT);
    }
    if (!t.isSymlink()) {
      throw new WasiError(Abi.INVAL);
    }
    byte[] target = Files.readSymbolicLink(t.host()).toString().getBytes(StandardCharsets.UTF_8);
    // Like readlink(2): as much as fits, no error when it does not.
    int n = (int) Math.min(target.length, len);
    Guest.check(m, buf, n);
    m.write((int) buf, target, 0, n);
    Guest.writeInt(m, usedPtr, n);
  }

  void removeDirectory(int dirfd, String path) throws WasiError, IOException {
    Directory dir = writable(dirfd, Abi.PATH_REMOVE_DIRECTORY);
    Target t = Resolver.resolve(dir.real, path, false);
    if (t.name() == null) {
      throw new WasiError(Abi.INVAL); // rmdir(".")
    }
    if (!t.exists()) {
      throw new WasiError(Abi.NOENT);
    }
    if (!t.isDirectory()) {
      throw new WasiError(Abi.NOTDIR);
    }
    Files.delete(t.host());
  }

  void unlinkFile(int dirfd, String path) throws WasiError, IOException {
    Directory dir = writable(dirfd, Abi.PATH_UNLINK_FILE);
    Target t = Resolver.resolve(dir.real, path, false);
    if (t.name() == null || t.isDirectory()) {
      throw new WasiError(Abi.ISDIR);
    }
    if (!t.exists()) {
      throw new WasiError(Abi.NOENT);
    }
    if (t.trailingSlash()) {
      throw new WasiError(Abi.NOTDIR);
    }
    Files.delete(t.host());
  }

  void rename(int oldfd, String oldPath, int newfd, String newPath) throws WasiError, IOException {
    Directory from = writable(oldfd, Abi.PATH_RENAME_SOURCE);
    Directory to = writable(newfd, Abi.PATH_RENAME_TARGET);
    Target source = Resolver.resolve(from.real, oldPath, false);
    if (source.name() == null) {
      throw new WasiError(Abi.BUSY);
    }
    if (!source.exists()) {
      throw new WasiError(Abi.NOENT);
    }
    if (source.trailingSlash() && !source.isDirectory()) {
      throw new WasiError(Abi.NOTDIR);
    }
    Target target = Resolver.resolve(to.real, newPath, false);
    if (target.name() == null) {
      throw new WasiError(Abi.BUSY);
    }
    if (target.trailingSlash() && !source.isDirectory()) {
      throw new WasiError(Abi.NOTDIR);
    }
    // rename(2) itself: replaces a file or an empty directory, refuses the rest with its errno.
    Files.move(source.host(), target.host(), StandardCopyOption.ATOMIC_MOVE);
  }

  void symlink(String linkTarget, int dirfd, String path) throws WasiError, IOException {
    Directory dir = writable(dirfd, Abi.PATH_SYMLINK);
    if (linkTarget.isEmpty()) {
      throw new WasiError(Abi.NOENT);
    }
    if (linkTarget.indexOf('\0') >= 0) {
      throw new WasiError(Abi.INVAL);
    }
    if (linkTarget.startsWith("/")) {
      // An absolute target would name a host path; WASI guests only get relative links.
      throw new WasiError(Abi.NOTCAPABLE);
    }
    Target t = Resolver.resolve(dir.real, path, false);
    if (t.exists() || t.name() == null) {
      throw new WasiError(
          t.trailingSlash() && t.exists() && !t.isDirectory() ? Abi.NOTDIR : Abi.EXIST);
    }
    if (t.trailingSlash()) {
      throw new WasiError(Abi.NOENT);
    }
    Files.createSymbolicLink(t.host(), Resolver.child(Path.of(""), linkTarget));
  }

  // ----------------------------------------------------------------------------- fd_readdir

  void readdir(GuestMemory m, int fd, long buf, long len, long cookie, long usedPtr)
      throws WasiError, IOException {
    Descriptor d = fds.get(fd);
    if (!(d instanceof Directory dir)) {
      throw new WasiError(Abi.NOTDIR);
    }
    if ((d.base & Abi.FD_READDIR) == 0) {
      throw new WasiError(Abi.NOTCAPABLE);
    }
    Guest.check(m, buf, len);
    Resolver.verified(dir.real);
    // A listing per pass over the directory: cookie 0 starts one, later cookies read the same
    // snapshot (re-listing on every call would make reading a large directory quadratic).
    if (cookie == 0 || dir.listing == null) {
      dir.listing = entries(dir);
    }
    List<DirEntry> entries = dir.listing;
    // Cookie n means "from the n-th entry on"; entries are sorted, so cookies stay valid while
    // the directory does not change.
    long at = u32(buf);
    long used = 0;
    for (long i = cookie; i >= 0 && i < entries.size() && used < len; i++) {
      DirEntry e = entries.get((int) i);
      byte[] rec = new byte[Abi.DIRENT_SIZE + e.name().length];
      putLong(rec, 0, i + 1);
      putLong(rec, 8, e.ino());
      putLong(rec, 16, e.name().length); // d_namlen (u32) and d_type (u8) below
      rec[20] = (byte) e.type();
      rec[21] = 0;
      System.arraycopy(e.name(), 0, rec, Abi.DIRENT_SIZE, e.name().length);
      int n = (int) Math.min(rec.length, len - used);
      m.write(
          (int) (at + used), rec, 0, n); // the last entry may be cut short: the guest asks again
      used += n;
    }
    Guest.writeInt(m, usedPtr, (int) used);
  }

  private static List<DirEntry> entries(Directory dir) throws IOException, WasiError {
    List<DirEntry> entries = new ArrayList<>();
    Path real = dir.real;
    entries.add(new DirEntry(new byte[] {'.'}, Stat.ino(real), Abi.FILETYPE_DIRECTORY));
    Path parent = real.getParent();
    entries.add(
        new DirEntry(
            new byte[] {'.', '.'},
            Stat.ino(parent == null ? real : parent),
            Abi.FILETYPE_DIRECTORY));
    List<String> names = new ArrayList<>();
    try (DirectoryStream<Path> s = Files.newDirectoryStream(real)) {
      for (Path p : s) {
        names.add(p.getFileName().toString());
      }
    }
    names.sort(null);
    for (String name : names) {
      Path p = real.resolve(name);
      try {
        Stat.Info i = Stat.of(p);
        entries.add(new DirEntry(name.getBytes(StandardCharsets.UTF_8), i.ino(), i.filetype()));
      } catch (IOException e) {
        // Removed while listing: not an entry any more.
      }
    }
    return entries;
  }

  private static void putLong(byte[] b, int at, long v) {
    for (int i = 0; i < 8; i++) {
      b[at + i] = (byte) (v >>> (8 * i));
    }
  }
}
