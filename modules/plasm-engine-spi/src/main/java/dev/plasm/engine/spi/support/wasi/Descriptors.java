package dev.plasm.engine.spi.support.wasi;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.List;
import java.util.TreeMap;

/** The guest's file descriptors: stdio, open files and directories, with their WASI rights. */
final class Descriptors {
  /** More than any program needs; each open file holds a host file descriptor. */
  static final int MAX_OPEN = 1024;

  /** One open descriptor. Rights only ever shrink ({@code fd_fdstat_set_rights}). */
  abstract static sealed class Descriptor permits Input, Output, File, Directory {
    long base;
    long inheriting;
    int fdflags;

    Descriptor(long base, long inheriting) {
      this.base = base;
      this.inheriting = inheriting;
    }

    abstract int filetype();

    void close() throws IOException {}
  }

  /**
   * Standard input: the run's stream; never closed by the guest, only forgotten. Stdio reports the
   * type UNKNOWN, as a pipe does: whatever the host's own stdio is, the guest sees no terminal (so
   * the same run gives the same bytes), and wasi-libc buffers stdout fully.
   */
  static final class Input extends Descriptor {
    final InputStream in;

    Input(InputStream in) {
      super(Abi.FD_READ | Abi.FD_FDSTAT_SET_FLAGS | Abi.FD_FILESTAT_GET | Abi.POLL_FD_READWRITE, 0);
      this.in = in;
    }

    @Override
    int filetype() {
      return Abi.FILETYPE_UNKNOWN;
    }
  }

  /** Standard output or error: the run's stream, which the host may cap by throwing. */
  static final class Output extends Descriptor {
    final OutputStream out;

    Output(OutputStream out) {
      super(
          Abi.FD_WRITE | Abi.FD_FDSTAT_SET_FLAGS | Abi.FD_FILESTAT_GET | Abi.POLL_FD_READWRITE, 0);
      this.out = out;
    }

    @Override
    int filetype() {
      return Abi.FILETYPE_UNKNOWN;
    }
  }

  /** A regular file (or another non-directory) opened through a directory. */
  static final class File extends Descriptor {
    final FileChannel channel;
    final Path path;
    final int filetype;

    File(FileChannel channel, Path path, int filetype, long base, long inheriting, int fdflags) {
      super(base, inheriting);
      this.channel = channel;
      this.path = path;
      this.filetype = filetype;
      this.fdflags = fdflags;
    }

    @Override
    int filetype() {
      return filetype;
    }

    @Override
    void close() throws IOException {
      channel.close();
    }
  }

  /**
   * A directory: a preopen or one opened through another directory.
   *
   * @param real its host path, free of symlinks when it was opened
   * @param preopenName what the guest calls it, for a preopen; null otherwise
   */
  static final class Directory extends Descriptor {
    final Path real;
    final String preopenName;
    final boolean readOnly;

    /** The entries fd_readdir listed at cookie 0, reused for the cookies after it. */
    List<DirEntry> listing;

    Directory(Path real, String preopenName, boolean readOnly, long base, long inheriting) {
      super(base, inheriting);
      this.real = real;
      this.preopenName = preopenName;
      this.readOnly = readOnly;
    }

    @Override
    int filetype() {
      return Abi.FILETYPE_DIRECTORY;
    }
  }

  private final TreeMap<Integer, Descriptor> open = new TreeMap<>();

  /** The descriptor of {@code fd}, or {@code BADF}. */
  Descriptor get(int fd) throws WasiError {
    Descriptor d = open.get(fd);
    if (d == null) {
      throw new WasiError(Abi.BADF);
    }
    return d;
  }

  /** The descriptor of {@code fd} if it has every one of {@code rights}; else BADF or NOTCAPABLE. */
  Descriptor require(int fd, long rights) throws WasiError {
    Descriptor d = get(fd);
    if ((d.base & rights) != rights) {
      throw new WasiError(Abi.NOTCAPABLE);
    }
    return d;
  }

  /** A directory descriptor with {@code rights}; NOTDIR if {@code fd} is something else. */
  Directory directory(int fd, long rights) throws WasiError {
    Descriptor d = get(fd);
    if (!(d instanceof Directory dir)) {
      throw new WasiError(Abi.NOTDIR);
    }
    if ((d.base & rights) != rights) {
      throw new WasiError(Abi.NOTCAPABLE);
    }
    return dir;
  }

  void put(int fd, Descriptor d) {
    open.put(fd, d);
  }

  /** Gives {@code d} the lowest free number from 3 on (0-2 are only ever stdio, or nothing). */
  int add(Descriptor d) throws WasiError {
    if (open.size() >= MAX_OPEN) {
      throw new WasiError(Abi.MFILE);
    }
    int fd = 3;
    while (open.containsKey(fd)) {
      fd++;
    }
    open.put(fd, d);
    return fd;
  }

  Descriptor remove(int fd) throws WasiError {
    Descriptor d = open.remove(fd);
    if (d == null) {
      throw new WasiError(Abi.BADF);
    }
    return d;
  }

  /** Closes every open file; stdio streams belong to the host and stay open. */
  void closeAll() {
    for (Descriptor d : open.values()) {
      try {
        d.close();
      } catch (IOException e) {
        // The run is over; nothing is left to tell.
      }
    }
    open.clear();
  }
}
