package dev.plasm.engine.spi.support.wasi;

/** The numbers of the {@code wasi_snapshot_preview1} ABI (witx), by the spec's names. */
final class Abi {
  private Abi() {}

  // errno
  static final int SUCCESS = 0;
  static final int ACCES = 2;
  static final int AGAIN = 6;
  static final int BADF = 8;
  static final int BUSY = 10;
  static final int EXIST = 20;
  static final int FAULT = 21;
  static final int FBIG = 22;
  static final int ILSEQ = 25;
  static final int INVAL = 28;
  static final int IO = 29;
  static final int ISDIR = 31;
  static final int LOOP = 32;
  static final int MFILE = 33;
  static final int MLINK = 34;
  static final int NAMETOOLONG = 37;
  static final int NOENT = 44;
  static final int NOSPC = 51;
  static final int NOSYS = 52;
  static final int NOTDIR = 54;
  static final int NOTEMPTY = 55;
  static final int NOTSOCK = 57;
  static final int NOTSUP = 58;
  static final int OVERFLOW = 61;
  static final int PERM = 63;
  static final int RANGE = 68;
  static final int ROFS = 69;
  static final int SPIPE = 70;
  static final int XDEV = 75;
  static final int NOTCAPABLE = 76;

  // rights
  static final long FD_DATASYNC = 1L;
  static final long FD_READ = 1L << 1;
  static final long FD_SEEK = 1L << 2;
  static final long FD_FDSTAT_SET_FLAGS = 1L << 3;
  static final long FD_SYNC = 1L << 4;
  static final long FD_TELL = 1L << 5;
  static final long FD_WRITE = 1L << 6;
  static final long FD_ADVISE = 1L << 7;
  static final long FD_ALLOCATE = 1L << 8;
  static final long PATH_CREATE_DIRECTORY = 1L << 9;
  static final long PATH_CREATE_FILE = 1L << 10;
  static final long PATH_LINK_SOURCE = 1L << 11;
  static final long PATH_LINK_TARGET = 1L << 12;
  static final long PATH_OPEN = 1L << 13;
  static final long FD_READDIR = 1L << 14;
  static final long PATH_READLINK = 1L << 15;
  static final long PATH_RENAME_SOURCE = 1L << 16;
  static final long PATH_RENAME_TARGET = 1L << 17;
  static final long PATH_FILESTAT_GET = 1L << 18;
  static final long PATH_FILESTAT_SET_SIZE = 1L << 19;
  static final long PATH_FILESTAT_SET_TIMES = 1L << 20;
  static final long FD_FILESTAT_GET = 1L << 21;
  static final long FD_FILESTAT_SET_SIZE = 1L << 22;
  static final long FD_FILESTAT_SET_TIMES = 1L << 23;
  static final long PATH_SYMLINK = 1L << 24;
  static final long PATH_REMOVE_DIRECTORY = 1L << 25;
  static final long PATH_UNLINK_FILE = 1L << 26;
  static final long POLL_FD_READWRITE = 1L << 27;
  static final long SOCK_SHUTDOWN = 1L << 28;
  static final long SOCK_ACCEPT = 1L << 29;

  /** What a regular file's descriptor can do. */
  static final long FILE_RIGHTS =
      FD_DATASYNC
          | FD_READ
          | FD_SEEK
          | FD_FDSTAT_SET_FLAGS
          | FD_SYNC
          | FD_TELL
          | FD_WRITE
          | FD_ADVISE
          | FD_ALLOCATE
          | FD_FILESTAT_GET
          | FD_FILESTAT_SET_SIZE
          | FD_FILESTAT_SET_TIMES
          | POLL_FD_READWRITE;

  /** What a directory's descriptor can do (no seek, read, write or size: those are files'). */
  static final long DIRECTORY_RIGHTS =
      FD_FDSTAT_SET_FLAGS
          | FD_SYNC
          | FD_ADVISE
          | PATH_CREATE_DIRECTORY
          | PATH_CREATE_FILE
          | PATH_LINK_SOURCE
          | PATH_LINK_TARGET
          | PATH_OPEN
          | FD_READDIR
          | PATH_READLINK
          | PATH_RENAME_SOURCE
          | PATH_RENAME_TARGET
          | PATH_FILESTAT_GET
          | PATH_FILESTAT_SET_SIZE
          | PATH_FILESTAT_SET_TIMES
          | FD_FILESTAT_GET
          | FD_FILESTAT_SET_TIMES
          | PATH_SYMLINK
          | PATH_REMOVE_DIRECTORY
          | PATH_UNLINK_FILE
          | POLL_FD_READWRITE;

  /** Rights that change the file system; a read-only preopen never has them. */
  static final long WRITE_RIGHTS =
      FD_DATASYNC
          | FD_WRITE
          | FD_ALLOCATE
          | FD_FILESTAT_SET_SIZE
          | FD_FILESTAT_SET_TIMES
          | PATH_CREATE_DIRECTORY
          | PATH_CREATE_FILE
          | PATH_LINK_SOURCE
          | PATH_LINK_TARGET
          | PATH_RENAME_SOURCE
          | PATH_RENAME_TARGET
          | PATH_FILESTAT_SET_SIZE
          | PATH_FILESTAT_SET_TIMES
          | PATH_SYMLINK
          | PATH_REMOVE_DIRECTORY
          | PATH_UNLINK_FILE;

  // filetype
  static final int FILETYPE_UNKNOWN = 0;
  static final int FILETYPE_CHARACTER_DEVICE = 2;
  static final int FILETYPE_DIRECTORY = 3;
  static final int FILETYPE_REGULAR_FILE = 4;
  static final int FILETYPE_SYMBOLIC_LINK = 7;

  // oflags, fdflags, lookupflags, fstflags, whence, clocks, events
  static final int O_CREAT = 1;
  static final int O_DIRECTORY = 2;
  static final int O_EXCL = 4;
  static final int O_TRUNC = 8;
  static final int FDFLAG_APPEND = 1;
  static final int FDFLAGS_ALL = 0x1f;

  /** DSYNC, RSYNC and SYNC: writes reach the device before the call returns. */
  static final int FDFLAGS_SYNCED = 2 | 8 | 16;

  static final int LOOKUP_SYMLINK_FOLLOW = 1;
  static final int FST_ATIM = 1;
  static final int FST_ATIM_NOW = 2;
  static final int FST_MTIM = 4;
  static final int FST_MTIM_NOW = 8;
  static final int WHENCE_SET = 0;
  static final int WHENCE_CUR = 1;
  static final int WHENCE_END = 2;
  static final int CLOCK_REALTIME = 0;
  static final int CLOCK_MONOTONIC = 1;
  static final int CLOCK_THREAD_CPUTIME = 3;
  static final int SUBCLOCK_ABSTIME = 1;
  static final int EVENT_CLOCK = 0;
  static final int EVENT_FD_READ = 1;
  static final int EVENT_FD_WRITE = 2;

  // sizes of the structures the calls read and write
  static final int FDSTAT_SIZE = 24;
  static final int FILESTAT_SIZE = 64;
  static final int DIRENT_SIZE = 24;
  static final int SUBSCRIPTION_SIZE = 48;
  static final int EVENT_SIZE = 32;
}
