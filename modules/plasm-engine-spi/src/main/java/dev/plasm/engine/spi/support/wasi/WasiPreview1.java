package dev.plasm.engine.spi.support.wasi;

import static dev.plasm.engine.spi.support.wasi.Guest.u32;

import dev.plasm.engine.spi.Preopen;
import dev.plasm.engine.spi.WasiConfig;
import dev.plasm.engine.spi.support.DeterministicClock;
import dev.plasm.engine.spi.support.DeterministicRandom;
import dev.plasm.engine.spi.support.wasi.Descriptors.Descriptor;
import dev.plasm.engine.spi.support.wasi.Descriptors.Directory;
import dev.plasm.engine.spi.support.wasi.Descriptors.File;
import dev.plasm.engine.spi.support.wasi.Descriptors.Input;
import dev.plasm.engine.spi.support.wasi.Descriptors.Output;
import dev.plasm.engine.spi.support.wasi.WasiFunction.Type;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Plasm's own WASI preview 1 ({@code wasi_snapshot_preview1}) for engines that run in Java: every
 * function of the snapshot, over one run's {@link WasiConfig}, for an engine to expose through its
 * host-function mechanism ({@link #functions()}; the calls reach the guest's memory through a
 * {@link GuestMemory}).
 *
 * <p>Preopens are reached only through {@link Resolver}, which resolves every path beneath the
 * directory descriptor it starts from, follows symlinks itself and refuses {@code ..} above that
 * directory, absolute paths and absolute symlink targets. The guest may create files, directories,
 * symbolic links (relative targets only) and hard links inside a writable preopen; a read-only
 * preopen has no right that changes anything. Rights follow the snapshot: each descriptor has base
 * and inheriting rights, a descriptor opened through a directory gets at most that directory's
 * inheriting rights, and rights only shrink.
 *
 * <p>Behaviour follows Linux and wasmtime where the snapshot leaves room, as the official WASI test
 * suite checks it (docs/conformance.md). One instance serves one run on one thread.
 */
public final class WasiPreview1 implements AutoCloseable {
  /** The import module name of every function. */
  public static final String MODULE = "wasi_snapshot_preview1";

  private final byte[][] args;
  private final byte[][] env;
  private final Descriptors fds = new Descriptors();
  private final DeterministicClock clock;

  /** The deterministic run's random; null until first used otherwise (seeding a SecureRandom costs). */
  private Random random;

  private final PathCalls paths;
  private final List<WasiFunction> functions = new ArrayList<>();

  /** The origin of the monotonic clock: the end of the constructor unless given (see {@link #now}). */
  private final long monotonicOrigin;

  /**
   * The WASI world of one run: its args, environment, stdio (fds 0-2) and preopens (fds 3 on, in
   * order). With {@link WasiConfig#determinism()} the clocks and {@code random_get} are the recorded
   * ones.
   *
   * @throws IOException if a preopen is not an existing directory
   */
  public WasiPreview1(WasiConfig config) throws IOException {
    this(config, Long.MIN_VALUE);
  }

  /**
   * As {@link #WasiPreview1(WasiConfig)}, with the monotonic clock counting from {@code
   * monotonicOrigin} (a {@link System#nanoTime()} reading): for an engine that also serves the
   * monotonic clock from another WASI whose clock counts from there.
   *
   * @throws IOException if a preopen is not an existing directory
   */
  public WasiPreview1(WasiConfig config, long monotonicOrigin) throws IOException {
    this.args = utf8(config.args());
    List<String> vars = new ArrayList<>();
    for (Map.Entry<String, String> e : config.env().entrySet()) {
      vars.add(e.getKey() + "=" + e.getValue());
    }
    this.env = utf8(vars);
    this.clock = config.determinism() == null ? null : new DeterministicClock(config.determinism());
    this.random =
        config.determinism() == null ? null : new DeterministicRandom(config.determinism());
    fds.put(0, new Input(config.stdin()));
    fds.put(1, new Output(config.stdout()));
    fds.put(2, new Output(config.stderr()));
    int fd = 3;
    for (Preopen p : config.preopens()) {
      Path real = p.hostPath().toRealPath();
      if (!Files.isDirectory(real)) {
        throw new NotDirectoryException(p.hostPath().toString());
      }
      long base = p.readOnly() ? Abi.DIRECTORY_RIGHTS & ~Abi.WRITE_RIGHTS : Abi.DIRECTORY_RIGHTS;
      long inheriting =
          p.readOnly()
              ? (Abi.DIRECTORY_RIGHTS | Abi.FILE_RIGHTS) & ~Abi.WRITE_RIGHTS
              : Abi.DIRECTORY_RIGHTS | Abi.FILE_RIGHTS;
      fds.put(fd++, new Directory(real, p.guestPath(), p.readOnly(), base, inheriting));
    }
    this.paths = new PathCalls(fds);
    define();
    this.monotonicOrigin = monotonicOrigin == Long.MIN_VALUE ? System.nanoTime() : monotonicOrigin;
  }

  /** Every function of the snapshot, to be imported under {@link #MODULE}. */
  public List<WasiFunction> functions() {
    return Collections.unmodifiableList(functions);
  }

  /** Closes the files the guest left open (never the run's stdio streams). */
  @Override
  public void close() {
    fds.closeAll();
  }

  // ----------------------------------------------------------------------------- the table

  /** The body of a call that may fail with an errno. */
  @FunctionalInterface
  private interface Call {
    void run(GuestMemory m, long[] a) throws WasiError, IOException;
  }

  /** {@code signature}: one letter per parameter, {@code i} for i32 and {@code I} for i64. */
  private void def(String name, String signature, Call call) {
    List<Type> params = new ArrayList<>();
    for (char c : signature.toCharArray()) {
      params.add(c == 'I' ? Type.I64 : Type.I32);
    }
    functions.add(
        new WasiFunction(
            name,
            params,
            true,
            (m, a) -> {
              try {
                call.run(m, a);
                return Abi.SUCCESS;
              } catch (WasiError e) {
                return e.errno;
              } catch (IOException e) {
                return Resolver.errno(e);
              }
            }));
  }

  private void define() {
    def("args_get", "ii", (m, a) -> strings(m, args, a[0], a[1]));
    def("args_sizes_get", "ii", (m, a) -> sizes(m, args, a[0], a[1]));
    def("environ_get", "ii", (m, a) -> strings(m, env, a[0], a[1]));
    def("environ_sizes_get", "ii", (m, a) -> sizes(m, env, a[0], a[1]));
    def("clock_res_get", "ii", (m, a) -> Guest.writeLong(m, a[1], clockRes((int) a[0])));
    def("clock_time_get", "iIi", (m, a) -> Guest.writeLong(m, a[2], now((int) a[0])));
    def("random_get", "ii", (m, a) -> randomGet(m, a[0], u32(a[1])));
    def("sched_yield", "", (m, a) -> Thread.yield());
    def(
        "proc_raise",
        "i",
        (m, a) -> {
          throw new WasiError(Abi.NOSYS);
        });
    functions.add(
        new WasiFunction(
            "proc_exit",
            List.of(Type.I32),
            false,
            (m, a) -> {
              throw new WasiExitException((int) a[0]);
            }));

    def("fd_advise", "iIIi", (m, a) -> fdAdvise((int) a[0], a[1], a[2], (int) a[3]));
    def("fd_allocate", "iII", (m, a) -> fdAllocate((int) a[0], a[1], a[2]));
    def("fd_close", "i", (m, a) -> fds.remove((int) a[0]).close());
    def("fd_datasync", "i", (m, a) -> sync((int) a[0], Abi.FD_DATASYNC, false));
    def("fd_sync", "i", (m, a) -> sync((int) a[0], Abi.FD_SYNC, true));
    def("fd_fdstat_get", "ii", (m, a) -> fdstatGet(m, (int) a[0], a[1]));
    def("fd_fdstat_set_flags", "ii", (m, a) -> fdstatSetFlags((int) a[0], (int) a[1]));
    def("fd_fdstat_set_rights", "iII", (m, a) -> fdstatSetRights((int) a[0], a[1], a[2]));
    def("fd_filestat_get", "ii", (m, a) -> fdFilestatGet(m, (int) a[0], a[1]));
    def("fd_filestat_set_size", "iI", (m, a) -> fdFilestatSetSize((int) a[0], a[1]));
    def(
        "fd_filestat_set_times",
        "iIIi",
        (m, a) -> fdFilestatSetTimes((int) a[0], a[1], a[2], (int) a[3]));
    def(
        "fd_pread",
        "iiiIi",
        (m, a) -> Guest.writeInt(m, a[4], (int) fdRead(m, (int) a[0], a[1], a[2], offset(a[3]))));
    def(
        "fd_pwrite",
        "iiiIi",
        (m, a) -> Guest.writeInt(m, a[4], (int) fdWrite(m, (int) a[0], a[1], a[2], offset(a[3]))));
    def(
        "fd_read",
        "iiii",
        (m, a) -> Guest.writeInt(m, a[3], (int) fdRead(m, (int) a[0], a[1], a[2], CURRENT)));
    def(
        "fd_write",
        "iiii",
        (m, a) -> Guest.writeInt(m, a[3], (int) fdWrite(m, (int) a[0], a[1], a[2], CURRENT)));
    def("fd_prestat_get", "ii", (m, a) -> prestatGet(m, (int) a[0], a[1]));
    def("fd_prestat_dir_name", "iii", (m, a) -> prestatDirName(m, (int) a[0], a[1], u32(a[2])));
    def("fd_readdir", "iiiIi", (m, a) -> paths.readdir(m, (int) a[0], a[1], u32(a[2]), a[3], a[4]));
    def("fd_renumber", "ii", (m, a) -> renumber((int) a[0], (int) a[1]));
    def("fd_seek", "iIii", (m, a) -> Guest.writeLong(m, a[3], seek((int) a[0], a[1], (int) a[2])));
    def("fd_tell", "ii", (m, a) -> Guest.writeLong(m, a[1], seek((int) a[0], 0, Abi.WHENCE_CUR)));

    def(
        "path_create_directory",
        "iii",
        (m, a) -> paths.createDirectory((int) a[0], Guest.string(m, a[1], a[2])));
    def(
        "path_filestat_get",
        "iiiii",
        (m, a) -> paths.filestatGet(m, (int) a[0], (int) a[1], Guest.string(m, a[2], a[3]), a[4]));
    def(
        "path_filestat_set_times",
        "iiiiIIi",
        (m, a) ->
            paths.filestatSetTimes(
                (int) a[0], (int) a[1], Guest.string(m, a[2], a[3]), a[4], a[5], (int) a[6]));
    def(
        "path_link",
        "iiiiiii",
        (m, a) ->
            paths.link(
                (int) a[0],
                (int) a[1],
                Guest.string(m, a[2], a[3]),
                (int) a[4],
                Guest.string(m, a[5], a[6])));
    def(
        "path_open",
        "iiiiiIIii",
        (m, a) ->
            Guest.writeInt(
                m,
                a[8],
                paths.open(
                    (int) a[0],
                    (int) a[1],
                    Guest.string(m, a[2], a[3]),
                    (int) a[4],
                    a[5],
                    a[6],
                    (int) a[7])));
    def(
        "path_readlink",
        "iiiiii",
        (m, a) ->
            paths.readlink(m, (int) a[0], Guest.string(m, a[1], a[2]), a[3], u32(a[4]), a[5]));
    def(
        "path_remove_directory",
        "iii",
        (m, a) -> paths.removeDirectory((int) a[0], Guest.string(m, a[1], a[2])));
    def(
        "path_rename",
        "iiiiii",
        (m, a) ->
            paths.rename(
                (int) a[0], Guest.string(m, a[1], a[2]), (int) a[3], Guest.string(m, a[4], a[5])));
    def(
        "path_symlink",
        "iiiii",
        (m, a) ->
            paths.symlink(Guest.string(m, a[0], a[1]), (int) a[2], Guest.string(m, a[3], a[4])));
    def(
        "path_unlink_file",
        "iii",
        (m, a) -> paths.unlinkFile((int) a[0], Guest.string(m, a[1], a[2])));

    def(
        "poll_oneoff",
        "iiii",
        (m, a) -> Guest.writeInt(m, a[3], new Poll(fds, this::now).poll(m, a[0], a[1], u32(a[2]))));
    // Plasm gives guests no sockets: every descriptor is one that is not a socket.
    def("sock_accept", "iii", (m, a) -> notSocket((int) a[0]));
    def("sock_recv", "iiiiii", (m, a) -> notSocket((int) a[0]));
    def("sock_send", "iiiii", (m, a) -> notSocket((int) a[0]));
    def("sock_shutdown", "ii", (m, a) -> notSocket((int) a[0]));
  }

  // ----------------------------------------------------------------------------- args, env, clocks

  private static byte[][] utf8(List<String> strings) {
    byte[][] out = new byte[strings.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = strings.get(i).getBytes(StandardCharsets.UTF_8);
    }
    return out;
  }

  /** Writes the pointers to NUL-terminated strings at {@code ptrs} and the strings at {@code buf}. */
  private static void strings(GuestMemory m, byte[][] values, long ptrs, long buf)
      throws WasiError {
    long total = 0;
    for (byte[] v : values) {
      total += v.length + 1;
    }
    Guest.check(m, ptrs, 4L * values.length);
    Guest.check(m, buf, total);
    long at = u32(buf);
    for (int i = 0; i < values.length; i++) {
      m.writeInt((int) (u32(ptrs) + 4L * i), (int) at);
      m.write((int) at, values[i], 0, values[i].length);
      m.writeByte((int) (at + values[i].length), (byte) 0);
      at += values[i].length + 1;
    }
  }

  private static void sizes(GuestMemory m, byte[][] values, long countPtr, long sizePtr)
      throws WasiError {
    long total = 0;
    for (byte[] v : values) {
      total += v.length + 1;
    }
    Guest.writeInt(m, countPtr, values.length);
    Guest.writeInt(m, sizePtr, (int) total);
  }

  private static long clockRes(int id) throws WasiError {
    if (id < Abi.CLOCK_REALTIME || id > Abi.CLOCK_THREAD_CPUTIME) {
      throw new WasiError(Abi.INVAL);
    }
    return id == Abi.CLOCK_REALTIME ? 1_000 : 1;
  }

  /**
   * The clock's reading in nanoseconds; a deterministic run's recorded clock serves every id. The
   * monotonic clock counts from this object's creation (or the origin an engine gave), as wasmtime's
   * WASI counts from its context's, and the guest learns nothing about the host's uptime.
   */
  long now(int id) throws WasiError {
    if (id < Abi.CLOCK_REALTIME || id > Abi.CLOCK_THREAD_CPUTIME) {
      throw new WasiError(Abi.INVAL);
    }
    if (clock != null) {
      return clock.nextNanos();
    }
    if (id == Abi.CLOCK_REALTIME) {
      Instant t = Instant.now();
      return t.getEpochSecond() * 1_000_000_000L + t.getNano();
    }
    // The monotonic clock; the CPU-time clocks too: the JVM offers no CPU clock without
    // java.management.
    return System.nanoTime() - monotonicOrigin;
  }

  private void randomGet(GuestMemory m, long buf, long len) throws WasiError {
    Guest.check(m, buf, len);
    if (random == null) {
      random = new SecureRandom();
    }
    long at = u32(buf);
    for (long done = 0; done < len; ) {
      byte[] chunk = new byte[(int) Math.min(Guest.CHUNK, len - done)];
      random.nextBytes(chunk);
      m.write((int) (at + done), chunk, 0, chunk.length);
      done += chunk.length;
    }
  }

  private void notSocket(int fd) throws WasiError {
    fds.get(fd);
    throw new WasiError(Abi.NOTSOCK);
  }

  // ----------------------------------------------------------------------------- descriptors

  private void fdstatGet(GuestMemory m, int fd, long ptr) throws WasiError {
    Descriptor d = fds.get(fd);
    Guest.check(m, ptr, Abi.FDSTAT_SIZE);
    int p = (int) ptr;
    m.write(p, new byte[Abi.FDSTAT_SIZE], 0, Abi.FDSTAT_SIZE);
    m.writeByte(p, (byte) d.filetype());
    m.writeShort(p + 2, (short) d.fdflags);
    m.writeLong(p + 8, d.base);
    m.writeLong(p + 16, d.inheriting);
  }

  private void fdstatSetFlags(int fd, int flags) throws WasiError {
    Descriptor d = fds.require(fd, Abi.FD_FDSTAT_SET_FLAGS);
    if ((flags & ~Abi.FDFLAGS_ALL) != 0) {
      throw new WasiError(Abi.INVAL);
    }
    d.fdflags = flags;
  }

  private void fdstatSetRights(int fd, long base, long inheriting) throws WasiError {
    Descriptor d = fds.get(fd);
    if ((base & ~d.base) != 0 || (inheriting & ~d.inheriting) != 0) {
      throw new WasiError(Abi.NOTCAPABLE);
    }
    d.base = base;
    d.inheriting = inheriting;
  }

  private void fdFilestatGet(GuestMemory m, int fd, long ptr) throws WasiError, IOException {
    Descriptor d = fds.require(fd, Abi.FD_FILESTAT_GET);
    Guest.check(m, ptr, Abi.FILESTAT_SIZE);
    switch (d) {
      case File f -> Stat.write(m, ptr, Stat.of(verifiedFile(f)), f.channel.size());
      case Directory dir -> Stat.write(m, ptr, Stat.of(Resolver.verified(dir.real)), -1);
      default -> Stat.write(m, ptr, Stat.stream(), -1);
    }
  }

  private File file(int fd, long rights) throws WasiError {
    Descriptor d = fds.require(fd, rights);
    return switch (d) {
      case File f -> f;
      case Directory dir -> throw new WasiError(Abi.ISDIR);
      default -> throw new WasiError(Abi.SPIPE);
    };
  }

  private void fdFilestatSetSize(int fd, long size) throws WasiError, IOException {
    File f = fdFileForSize(fd, Abi.FD_FILESTAT_SET_SIZE);
    if (size < 0) {
      throw new WasiError(Abi.INVAL);
    }
    setSize(f, size);
  }

  private File fdFileForSize(int fd, long right) throws WasiError {
    Descriptor d = fds.get(fd);
    if (d instanceof Directory) {
      throw new WasiError(Abi.ISDIR);
    }
    return file(fd, right);
  }

  private static void setSize(File f, long size) throws IOException {
    long current = f.channel.size();
    if (size < current) {
      f.channel.truncate(size);
    } else if (size > current) {
      // FileChannel only shrinks; writing the last byte extends (sparsely, like ftruncate).
      f.channel.write(ByteBuffer.wrap(new byte[1]), size - 1);
    }
  }

  private void fdAllocate(int fd, long offset, long len) throws WasiError, IOException {
    File f = fdFileForSize(fd, Abi.FD_ALLOCATE);
    if (offset < 0 || len <= 0 || offset + len < 0) {
      throw new WasiError(Abi.INVAL);
    }
    if (offset + len > f.channel.size()) {
      setSize(f, offset + len);
    }
  }

  private void fdAdvise(int fd, long offset, long len, int advice) throws WasiError {
    Descriptor d = fds.require(fd, Abi.FD_ADVISE);
    if (advice < 0 || advice > 5 || offset < 0 || len < 0) {
      throw new WasiError(Abi.INVAL);
    }
    if (d instanceof Directory) {
      throw new WasiError(Abi.ISDIR);
    }
    // Advice only; the JVM has nothing to pass it to.
  }

  private void fdFilestatSetTimes(int fd, long atim, long mtim, int flags)
      throws WasiError, IOException {
    Descriptor d = fds.require(fd, Abi.FD_FILESTAT_SET_TIMES);
    Path p =
        switch (d) {
          case File f -> verifiedFile(f);
          case Directory dir -> Resolver.verified(dir.real);
          default -> null;
        };
    Stat.setTimes(p, atim, mtim, flags);
  }

  /** The path of an open file, if the directory it was opened in is still where it was. */
  private static Path verifiedFile(File f) throws WasiError {
    Resolver.verified(f.path.getParent());
    return f.path;
  }

  private void sync(int fd, long right, boolean metadata) throws WasiError, IOException {
    Descriptor d = fds.require(fd, right);
    if (d instanceof File f) {
      f.channel.force(metadata);
    }
  }

  private void prestatGet(GuestMemory m, int fd, long ptr) throws WasiError {
    Descriptor d = fds.get(fd);
    if (!(d instanceof Directory dir) || dir.preopenName == null) {
      throw new WasiError(Abi.BADF);
    }
    Guest.check(m, ptr, 8);
    m.writeInt((int) ptr, 0); // tag 0: a directory (and padding)
    m.writeInt((int) ptr + 4, dir.preopenName.getBytes(StandardCharsets.UTF_8).length);
  }

  private void prestatDirName(GuestMemory m, int fd, long ptr, long len) throws WasiError {
    Descriptor d = fds.get(fd);
    if (!(d instanceof Directory dir) || dir.preopenName == null) {
      throw new WasiError(Abi.BADF);
    }
    byte[] name = dir.preopenName.getBytes(StandardCharsets.UTF_8);
    if (len < name.length) {
      throw new WasiError(Abi.NAMETOOLONG);
    }
    Guest.write(m, ptr, name);
  }

  private void renumber(int from, int to) throws WasiError, IOException {
    Descriptor d = fds.get(from);
    Descriptor target = fds.get(to);
    if (from == to) {
      return;
    }
    fds.remove(from);
    fds.put(to, d);
    target.close();
  }

  private long seek(int fd, long offset, int whence) throws WasiError, IOException {
    Descriptor d = fds.get(fd);
    if (d instanceof Input || d instanceof Output) {
      throw new WasiError(Abi.SPIPE);
    }
    // A pure "where am I" needs only FD_TELL.
    long right = offset == 0 && whence == Abi.WHENCE_CUR ? Abi.FD_TELL : Abi.FD_SEEK;
    if ((d.base & right) != right && (d.base & Abi.FD_SEEK) == 0) {
      throw new WasiError(Abi.NOTCAPABLE);
    }
    File f = file(fd, 0);
    long base =
        switch (whence) {
          case Abi.WHENCE_SET -> 0;
          case Abi.WHENCE_CUR -> f.channel.position();
          case Abi.WHENCE_END -> f.channel.size();
          default -> throw new WasiError(Abi.INVAL);
        };
    long target = base + offset;
    if (target < 0 || (offset > 0 && target < base)) {
      throw new WasiError(Abi.INVAL);
    }
    f.channel.position(target);
    return target;
  }

  // ----------------------------------------------------------------------------- read and write

  /** The offset argument of fd_read and fd_write, which have none: the descriptor's position. */
  private static final long CURRENT = -1;

  /** A u64 file offset of fd_pread/fd_pwrite; one past what a host file can hold is INVAL. */
  private static long offset(long u64) throws WasiError {
    if (u64 < 0) {
      throw new WasiError(Abi.INVAL);
    }
    return u64;
  }

  /** {@code fd_read} ({@link #CURRENT}) or {@code fd_pread}; returns the bytes read. */
  private long fdRead(GuestMemory m, int fd, long iovs, long count, long offset)
      throws WasiError, IOException {
    boolean positional = offset != CURRENT;
    Descriptor d = fds.get(fd);
    if (positional && (d instanceof Input || d instanceof Output)) {
      throw new WasiError(Abi.SPIPE);
    }
    long rights = positional ? Abi.FD_READ | Abi.FD_SEEK : Abi.FD_READ;
    if ((d.base & rights) != rights) {
      throw new WasiError(d instanceof Directory ? Abi.ISDIR : Abi.NOTCAPABLE);
    }
    long[] v = Guest.iovecs(m, iovs, count);
    return switch (d) {
      case Input in -> Stdio.read(m, in.in, v);
      case File f -> readFile(m, f, v, offset);
      default -> throw new WasiError(Abi.BADF);
    };
  }

  private static long readFile(GuestMemory m, File f, long[] v, long offset) throws IOException {
    long total = 0;
    long pos = offset;
    for (int i = 0; i < v.length; i += 2) {
      long addr = v[i];
      long len = v[i + 1];
      while (len > 0) {
        ByteBuffer buf = ByteBuffer.allocate((int) Math.min(Guest.CHUNK, len));
        int n = pos >= 0 ? f.channel.read(buf, pos) : f.channel.read(buf);
        if (n <= 0) {
          return total;
        }
        m.write((int) addr, buf.array(), 0, n);
        total += n;
        addr += n;
        len -= n;
        if (pos >= 0) {
          pos += n;
        }
        if (n < buf.capacity()) {
          return total; // a short read: return what there is, like read(2)
        }
      }
    }
    return total;
  }

  /** {@code fd_write} ({@link #CURRENT}) or {@code fd_pwrite}; returns the bytes written. */
  private long fdWrite(GuestMemory m, int fd, long iovs, long count, long offset)
      throws WasiError, IOException {
    boolean positional = offset != CURRENT;
    Descriptor d = fds.get(fd);
    if (positional && (d instanceof Input || d instanceof Output)) {
      throw new WasiError(Abi.SPIPE);
    }
    long rights = positional ? Abi.FD_WRITE | Abi.FD_SEEK : Abi.FD_WRITE;
    if ((d.base & rights) != rights) {
      throw new WasiError(d instanceof Directory ? Abi.ISDIR : Abi.NOTCAPABLE);
    }
    long[] v = Guest.iovecs(m, iovs, count);
    return switch (d) {
      case Output out -> Stdio.write(m, out.out, v);
      case File f -> writeFile(m, f, v, offset);
      default -> throw new WasiError(Abi.BADF);
    };
  }

  private static long writeFile(GuestMemory m, File f, long[] v, long offset) throws IOException {
    long pos = offset;
    if (pos < 0 && (f.fdflags & Abi.FDFLAG_APPEND) != 0) {
      f.channel.position(f.channel.size());
    }
    long total = 0;
    for (int i = 0; i < v.length; i += 2) {
      long addr = v[i];
      long len = v[i + 1];
      while (len > 0) {
        int n = (int) Math.min(Guest.CHUNK, len);
        byte[] chunk = new byte[n];
        m.read((int) addr, chunk, 0, n);
        ByteBuffer buf = ByteBuffer.wrap(chunk);
        while (buf.hasRemaining()) {
          if (pos >= 0) {
            pos += f.channel.write(buf, pos);
          } else {
            f.channel.write(buf);
          }
        }
        total += n;
        addr += n;
        len -= n;
      }
    }
    if ((f.fdflags & Abi.FDFLAGS_SYNCED) != 0) {
      // DSYNC, RSYNC or SYNC: the data is on the device when the call returns.
      f.channel.force(true);
    }
    return total;
  }
}
