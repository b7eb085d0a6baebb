package dev.plasm.engine.spi.support.wasi;

/** One directory entry as {@code fd_readdir} reports it: its name (UTF-8), inode and WASI type. */
record DirEntry(byte[] name, long ino, int type) {}
