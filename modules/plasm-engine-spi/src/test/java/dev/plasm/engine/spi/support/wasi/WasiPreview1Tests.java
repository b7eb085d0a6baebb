package dev.plasm.engine.spi.support.wasi;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.plasm.engine.spi.Preopen;
import dev.plasm.engine.spi.WasiConfig;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Plasm's WASI called directly, the way an engine calls it, on real files: confinement and
 * read-only preopens. (The WASI test suite runs through every engine in the conformance module.)
 */
class WasiPreview1Tests {
  private static final int PATH = 1024; // where a test puts the path argument
  private static final int OUT = 2048; // where results go
  private static final long ALL = 0x1fffffffL;

  @TempDir Path tmp;
  private Path box;
  private final ByteArrayOutputStream stdout = new ByteArrayOutputStream();
  private final Memory memory = new Memory(64 * 1024);

  @BeforeEach
  void layout() throws IOException {
    box = Files.createDirectory(tmp.resolve("box"));
    Files.writeString(tmp.resolve("secret"), "SECRET");
    Files.writeString(box.resolve("file"), "inside");
    Files.createDirectory(box.resolve("sub"));
    Files.createSymbolicLink(box.resolve("out"), tmp.resolve("secret"));
    Files.createSymbolicLink(box.resolve("up"), Path.of(".."));
  }

  private WasiPreview1 wasi(boolean readOnly) throws IOException {
    var config =
        new WasiConfig(
            List.of("t"),
            Map.of(),
            new ByteArrayInputStream(new byte[0]),
            stdout,
            new ByteArrayOutputStream(),
            List.of(new Preopen(box.toRealPath(), "/data", readOnly)));
    return new WasiPreview1(config);
  }

  private static int call(WasiPreview1 wasi, Memory m, String name, long... args) {
    WasiFunction f =
        wasi.functions().stream().filter(x -> x.name().equals(name)).findFirst().orElseThrow();
    assertEquals(f.params().size(), args.length, name + " takes " + f.params());
    return f.body().call(m, args);
  }

  /** path_open(3, follow?, path, oflags, rights, rights, 0) -> errno; the fd is at OUT. */
  private int open(WasiPreview1 wasi, String path, boolean follow, int oflags, long rights) {
    int len = memory.put(PATH, path);
    return call(
        wasi, memory, "path_open", 3, follow ? 1 : 0, PATH, len, oflags, rights, rights, 0, OUT);
  }

  private int pathCall(WasiPreview1 wasi, String name, String path) {
    int len = memory.put(PATH, path);
    return call(wasi, memory, name, 3, PATH, len);
  }

  @Test
  void nothingLeadsOutOfThePreopen() throws IOException {
    try (WasiPreview1 wasi = wasi(false)) {
      assertEquals(Abi.SUCCESS, open(wasi, "file", false, 0, Abi.FD_READ));
      assertEquals(
          Abi.NOTCAPABLE,
          open(wasi, "out", true, 0, Abi.FD_READ),
          "a host symlink to outside, followed");
      assertEquals(
          Abi.LOOP, open(wasi, "out", false, 0, Abi.FD_READ), "a final symlink, not followed");
      assertEquals(
          Abi.NOTCAPABLE, open(wasi, "up/secret", false, 0, Abi.FD_READ), "a symlink to ..");
      assertEquals(Abi.NOTCAPABLE, open(wasi, "sub/../../secret", false, 0, Abi.FD_READ));
      assertEquals(
          Abi.NOTCAPABLE, open(wasi, tmp.resolve("secret").toString(), false, 0, Abi.FD_READ));
      int len = memory.put(PATH, "link");
      int target = memory.put(PATH + 64, "/etc/passwd");
      assertEquals(
          Abi.NOTCAPABLE,
          call(wasi, memory, "path_symlink", PATH + 64, target, 3, PATH, len),
          "a symlink to an absolute path");
      assertFalse(Files.exists(box.resolve("link"), java.nio.file.LinkOption.NOFOLLOW_LINKS));
    }
  }

  @Test
  void aReadOnlyPreopenRefusesEveryChange() throws IOException {
    try (WasiPreview1 wasi = wasi(true)) {
      assertEquals(Abi.NOTCAPABLE, open(wasi, "new", false, Abi.O_CREAT, ALL));
      assertEquals(Abi.NOTCAPABLE, open(wasi, "file", false, Abi.O_TRUNC, ALL));
      assertEquals(Abi.NOTCAPABLE, pathCall(wasi, "path_create_directory", "dir"));
      assertEquals(Abi.NOTCAPABLE, pathCall(wasi, "path_unlink_file", "file"));
      assertEquals(Abi.NOTCAPABLE, pathCall(wasi, "path_remove_directory", "sub"));
      int len = memory.put(PATH, "file");
      int other = memory.put(PATH + 64, "moved");
      assertEquals(
          Abi.NOTCAPABLE, call(wasi, memory, "path_rename", 3, PATH, len, 3, PATH + 64, other));
      assertEquals(
          Abi.NOTCAPABLE, call(wasi, memory, "path_link", 3, 0, PATH, len, 3, PATH + 64, other));
      assertEquals(
          Abi.NOTCAPABLE, call(wasi, memory, "path_symlink", PATH, len, 3, PATH + 64, other));
      assertEquals(
          Abi.NOTCAPABLE,
          call(wasi, memory, "path_filestat_set_times", 3, 0, PATH, len, 0, 0, Abi.FST_MTIM_NOW));
      // Opening for writing gives a descriptor without the right to write.
      assertEquals(Abi.SUCCESS, open(wasi, "file", false, 0, ALL));
      int fd = memory.buffer().getInt(OUT);
      memory.buffer().putInt(OUT + 8, PATH).putInt(OUT + 12, 3);
      assertEquals(Abi.NOTCAPABLE, call(wasi, memory, "fd_write", fd, OUT + 8, 1, OUT + 16));
      assertEquals(Abi.NOTCAPABLE, call(wasi, memory, "fd_filestat_set_size", fd, 0));
      assertEquals("inside", Files.readString(box.resolve("file")));
      try (var files = Files.list(box)) {
        assertEquals(4, files.count(), "nothing was created");
      }
    }
  }

  @Test
  void stdioIsAStreamThatIsNotATerminal() throws IOException {
    try (WasiPreview1 wasi = wasi(false)) {
      assertEquals(Abi.SUCCESS, call(wasi, memory, "fd_fdstat_get", 1, OUT));
      // UNKNOWN, as a pipe: wasi-libc's isatty() says no, so stdout is fully buffered.
      assertEquals(Abi.FILETYPE_UNKNOWN, memory.buffer().get(OUT));
      assertEquals(0, memory.buffer().getLong(OUT + 8) & (Abi.FD_SEEK | Abi.FD_TELL));
      memory.put(PATH, "hello");
      memory.buffer().putInt(OUT, PATH).putInt(OUT + 4, 5);
      assertEquals(Abi.SUCCESS, call(wasi, memory, "fd_write", 1, OUT, 1, OUT + 8));
      assertEquals(5, memory.buffer().getInt(OUT + 8));
      assertEquals("hello", stdout.toString(StandardCharsets.UTF_8));
      assertEquals(Abi.SPIPE, call(wasi, memory, "fd_seek", 1, 0, 0, OUT));
    }
  }

  @Test
  void badPointersAreFaultsAndProcExitThrows() throws IOException {
    try (WasiPreview1 wasi = wasi(false)) {
      assertEquals(Abi.FAULT, call(wasi, memory, "fd_fdstat_get", 1, 64 * 1024 - 8));
      assertEquals(Abi.FAULT, call(wasi, memory, "args_sizes_get", -4, OUT));
      var exit = assertThrows(WasiExitException.class, () -> call(wasi, memory, "proc_exit", 300));
      assertEquals(300, exit.exitCode());
      assertTrue(
          wasi.functions().stream().anyMatch(f -> f.name().equals("proc_exit") && !f.hasResult()));
    }
  }

  @Test
  void aDescriptorWhoseDirectoryWasSwappedForASymlinkIsRefused() throws IOException {
    try (WasiPreview1 wasi = wasi(false)) {
      assertEquals(
          Abi.SUCCESS,
          open(wasi, "sub", false, Abi.O_DIRECTORY, Abi.PATH_OPEN | Abi.PATH_FILESTAT_GET));
      int sub = memory.buffer().getInt(OUT);
      // Another process (or the guest) moves the directory away and puts a symlink to outside
      // there.
      Files.move(box.resolve("sub"), box.resolve("moved"));
      Files.createSymbolicLink(box.resolve("sub"), tmp);
      int len = memory.put(PATH, "secret");
      assertEquals(
          Abi.NOENT, call(wasi, memory, "path_open", sub, 0, PATH, len, 0, Abi.FD_READ, 0, 0, OUT));
      assertEquals(Abi.NOENT, call(wasi, memory, "path_filestat_get", sub, 0, PATH, len, OUT));
    }
  }

  @Test
  void positionalReadsAndWritesReachPastFourGibibytes() throws IOException {
    try (WasiPreview1 wasi = wasi(false)) {
      assertEquals(
          Abi.SUCCESS,
          open(wasi, "big", false, Abi.O_CREAT, Abi.FD_READ | Abi.FD_WRITE | Abi.FD_SEEK));
      int fd = memory.buffer().getInt(OUT);
      long at = 5L << 30; // a sparse file: nothing is written below
      memory.put(PATH, "far");
      memory.buffer().putInt(OUT, PATH).putInt(OUT + 4, 3);
      assertEquals(Abi.SUCCESS, call(wasi, memory, "fd_pwrite", fd, OUT, 1, at, OUT + 8));
      assertEquals(3, memory.buffer().getInt(OUT + 8));
      memory.buffer().putInt(OUT, PATH + 16).putInt(OUT + 4, 8);
      assertEquals(Abi.SUCCESS, call(wasi, memory, "fd_pread", fd, OUT, 1, at, OUT + 8));
      assertEquals(3, memory.buffer().getInt(OUT + 8));
      byte[] read = new byte[3];
      memory.buffer().get(PATH + 16, read);
      assertEquals("far", new String(read, StandardCharsets.UTF_8));
      assertEquals(
          Abi.INVAL,
          call(wasi, memory, "fd_pread", fd, OUT, 1, -1L, OUT + 8),
          "an offset of 2^64 - 1");
      assertEquals(at + 3, Files.size(box.resolve("big")));
    }
  }

  /** A guest memory in a byte array. */
  private static final class Memory implements GuestMemory {
    private final ByteBuffer b;

    Memory(int size) {
      b = ByteBuffer.allocate(size).order(ByteOrder.LITTLE_ENDIAN);
    }

    ByteBuffer buffer() {
      return b;
    }

    /** Writes a UTF-8 string at {@code addr}; returns its length in bytes. */
    int put(int addr, String s) {
      byte[] bytes = s.getBytes(StandardCharsets.UTF_8);
      b.put(addr, bytes);
      return bytes.length;
    }

    @Override
    public long size() {
      return b.capacity();
    }

    @Override
    public void read(int addr, byte[] dst, int off, int len) {
      b.get(addr, dst, off, len);
    }

    @Override
    public void write(int addr, byte[] src, int off, int len) {
      b.put(addr, src, off, len);
    }

    @Override
    public int readInt(int addr) {
      return b.getInt(addr);
    }

    @Override
    public long readLong(int addr) {
      return b.getLong(addr);
    }

    @Override
    public void writeInt(int addr, int value) {
      b.putInt(addr, value);
    }

    @Override
    public void writeLong(int addr, long value) {
      b.putLong(addr, value);
    }
  }
}
