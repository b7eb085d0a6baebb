package dev.plasm.engine.spi.support;

import java.io.IOException;
import java.net.URI;
import java.nio.channels.FileChannel;
import java.nio.channels.SeekableByteChannel;
import java.nio.file.AccessDeniedException;
import java.nio.file.AccessMode;
import java.nio.file.CopyOption;
import java.nio.file.DirectoryStream;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.OpenOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributeView;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.FileAttributeView;
import java.nio.file.attribute.FileTime;
import java.nio.file.spi.FileSystemProvider;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Iterator;
import java.util.Map;
import java.util.Set;

/** Checks every operation of a {@link ConfinedFileSystem} and delegates it to the host. */
public final class ConfinedFileSystemProvider extends FileSystemProvider {
  private static final Set<OpenOption> WRITE_OPTIONS =
      Set.of(
          StandardOpenOption.WRITE,
          StandardOpenOption.APPEND,
          StandardOpenOption.CREATE,
          StandardOpenOption.CREATE_NEW,
          StandardOpenOption.TRUNCATE_EXISTING,
          StandardOpenOption.DELETE_ON_CLOSE);

  private final ConfinedFileSystem fs;

  ConfinedFileSystemProvider(ConfinedFileSystem fs) {
    this.fs = fs;
  }

  private ConfinedPath cast(Path p) {
    if (p instanceof ConfinedPath c && c.getFileSystem() == fs) {
      return c;
    }
    throw new java.nio.file.ProviderMismatchException("path belongs to another file system: " + p);
  }

  private AccessDeniedException denied(Path p, String why) {
    return new AccessDeniedException(p.toString(), null, why);
  }

  /**
   * Resolves {@code p} to a host path inside the root, or throws. Every directory on the way is
   * resolved to its real location; the last component is followed too when {@code followFinal}.
   */
  Path confine(ConfinedPath p, boolean followFinal) throws IOException {
    Path root = fs.root();
    Path abs = p.logical();
    if (!abs.startsWith(root)) {
      throw denied(p, "outside the preopened directory");
    }
    if (abs.equals(root)) {
      return root;
    }
    Path realParent;
    try {
      realParent = abs.getParent().toRealPath();
    } catch (NoSuchFileException e) {
      throw new NoSuchFileException(p.toString());
    }
    if (!realParent.startsWith(root)) {
      throw denied(p, "a symlink leads outside the preopened directory");
    }
    Path candidate = realParent.resolve(abs.getFileName());
    if (followFinal && Files.isSymbolicLink(candidate)) {
      Path real;
      try {
        real = candidate.toRealPath();
      } catch (NoSuchFileException e) {
        throw new NoSuchFileException(p.toString());
      }
      if (!real.startsWith(root)) {
        throw new EscapingLinkException(p.toString());
      }
      return real;
    }
    return candidate;
  }

  private Path confineForWrite(Path path, boolean followFinal) throws IOException {
    ConfinedPath p = cast(path);
    if (fs.isReadOnly()) {
      throw denied(p, "the preopened directory is read-only");
    }
    Path real = confine(p, followFinal);
    if (real.equals(fs.root())) {
      throw denied(p, "the preopened directory itself cannot be changed");
    }
    return real;
  }

  private static boolean follows(Object[] options) {
    return !Arrays.asList(options).contains(LinkOption.NOFOLLOW_LINKS);
  }

  private Set<OpenOption> checkedOpenOptions(Path path, Set<? extends OpenOption> options)
      throws IOException {
    Set<OpenOption> opts = new HashSet<>(options);
    if (fs.isReadOnly() && opts.stream().anyMatch(WRITE_OPTIONS::contains)) {
      throw denied(path, "the preopened directory is read-only");
    }
    // The path is already resolved; refusing a final symlink here narrows swap races.
    opts.add(LinkOption.NOFOLLOW_LINKS);
    return opts;
  }

  @Override
  public String getScheme() {
    return "plasm-confined";
  }

  @Override
  public FileSystem newFileSystem(URI uri, Map<String, ?> env) {
    throw new UnsupportedOperationException("use ConfinedFileSystem.open");
  }

  @Override
  public FileSystem getFileSystem(URI uri) {
    throw new UnsupportedOperationException("use ConfinedFileSystem.open");
  }

  @Override
  public Path getPath(URI uri) {
    throw new UnsupportedOperationException("confined paths have no URI");
  }

  @Override
  public SeekableByteChannel newByteChannel(
      Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs) throws IOException {
    return newFileChannel(path, options, attrs);
  }

  @Override
  public FileChannel newFileChannel(
      Path path, Set<? extends OpenOption> options, FileAttribute<?>... attrs) throws IOException {
    ConfinedPath p = cast(path);
    Set<OpenOption> opts = checkedOpenOptions(p, options);
    Path real = confine(p, !options.contains(LinkOption.NOFOLLOW_LINKS));
    return FileChannel.open(real, opts, attrs);
  }

  @Override
  public DirectoryStream<Path> newDirectoryStream(
      Path dir, DirectoryStream.Filter<? super Path> filter) throws IOException {
    ConfinedPath p = cast(dir);
    Path real = confine(p, true);
    Path logical = p.logical();
    DirectoryStream<Path> inner = Files.newDirectoryStream(real);
    return new DirectoryStream<>() {
      @Override
      public Iterator<Path> iterator() {
        Iterator<Path> it = inner.iterator();
        return new Iterator<>() {
          private Path next;

          @Override
          public boolean hasNext() {
            while (next == null && it.hasNext()) {
              Path candidate =
                  new ConfinedPath(fs, logical.resolve(it.next().getFileName().toString()));
              try {
                if (filter == null || filter.accept(candidate)) {
                  next = candidate;
                }
              } catch (IOException e) {
                throw new java.io.UncheckedIOException(e);
              }
            }
            return next != null;
          }

          @Override
          public Path next() {
            if (!hasNext()) {
              throw new java.util.NoSuchElementException();
            }
            Path n = next;
            next = null;
            return n;
          }
        };
      }

      @Override
      public void close() throws IOException {
        inner.close();
      }
    };
  }

  @Override
  public void createDirectory(Path dir, FileAttribute<?>... attrs) throws IOException {
    Files.createDirectory(confineForWrite(dir, false), attrs);
  }

  @Override
  public void createSymbolicLink(Path link, Path target, FileAttribute<?>... attrs)
      throws IOException {
    throw denied(link, "creating symbolic links is not allowed");
  }

  @Override
  public void createLink(Path link, Path existing) throws IOException {
    throw denied(link, "creating hard links is not allowed");
  }

  @Override
  public void delete(Path path) throws IOException {
    Files.delete(confineForWrite(path, false));
  }

  @Override
  public Path readSymbolicLink(Path link) throws IOException {
    ConfinedPath p = cast(link);
    Path target = Files.readSymbolicLink(confine(p, false));
    // A relative target is relative to the link's directory, not to whoever asks.
    Path resolved = target.isAbsolute() ? target : p.logical().getParent().resolve(target);
    return new ConfinedPath(fs, resolved.normalize());
  }

  @Override
  public void copy(Path source, Path target, CopyOption... options) throws IOException {
    Path s = confine(cast(source), follows(options));
    Files.copy(s, confineForWrite(target, false), options);
  }

  @Override
  public void move(Path source, Path target, CopyOption... options) throws IOException {
    Path s = confineForWrite(source, false);
    Files.move(s, confineForWrite(target, false), options);
  }

  @Override
  public boolean isSameFile(Path path, Path path2) throws IOException {
    return Files.isSameFile(confine(cast(path), true), confine(cast(path2), true));
  }

  @Override
  public boolean isHidden(Path path) throws IOException {
    Path name = cast(path).logical().getFileName();
    return name != null && name.toString().startsWith(".");
  }

  @Override
  public FileStore getFileStore(Path path) throws IOException {
    return Files.getFileStore(confine(cast(path), true));
  }

  @Override
  public void checkAccess(Path path, AccessMode... modes) throws IOException {
    ConfinedPath p = cast(path);
    if (fs.isReadOnly() && Arrays.asList(modes).contains(AccessMode.WRITE)) {
      throw denied(p, "the preopened directory is read-only");
    }
    Path real = confine(p, true);
    real.getFileSystem().provider().checkAccess(real, modes);
  }

  @Override
  public <V extends FileAttributeView> V getFileAttributeView(
      Path path, Class<V> type, LinkOption... options) {
    ConfinedPath p = cast(path);
    Path real;
    try {
      real = confine(p, follows(options));
    } catch (IOException e) {
      return null;
    }
    V view = Files.getFileAttributeView(real, type, options);
    if (view == null || !fs.isReadOnly()) {
      return view;
    }
    if (type == BasicFileAttributeView.class) {
      BasicFileAttributeView inner = (BasicFileAttributeView) view;
      BasicFileAttributeView readOnlyView =
          new BasicFileAttributeView() {
            @Override
            public String name() {
              return inner.name();
            }

            @Override
            public BasicFileAttributes readAttributes() throws IOException {
              return inner.readAttributes();
            }

            @Override
            public void setTimes(FileTime m, FileTime a, FileTime c) throws IOException {
              throw denied(p, "the preopened directory is read-only");
            }
          };
      return type.cast(readOnlyView);
    }
    return null;
  }

  @Override
  public <A extends BasicFileAttributes> A readAttributes(
      Path path, Class<A> type, LinkOption... options) throws IOException {
    ConfinedPath p = cast(path);
    try {
      return Files.readAttributes(confine(p, follows(options)), type, options);
    } catch (EscapingLinkException e) {
      return Files.readAttributes(confine(p, false), type, LinkOption.NOFOLLOW_LINKS);
    }
  }

  @Override
  public Map<String, Object> readAttributes(Path path, String attributes, LinkOption... options)
      throws IOException {
    ConfinedPath p = cast(path);
    try {
      return Files.readAttributes(confine(p, follows(options)), attributes, options);
    } catch (EscapingLinkException e) {
      // Listing a directory must not fail on a link to outside: show the link itself, never its
      // target.
      return Files.readAttributes(confine(p, false), attributes, LinkOption.NOFOLLOW_LINKS);
    }
  }

  /** A final symlink points outside the root: its target is refused, the link itself may be seen. */
  static final class EscapingLinkException extends AccessDeniedException {
    private static final long serialVersionUID = 1L;

    EscapingLinkException(String path) {
      super(path, null, "a symlink leads outside the preopened directory");
    }
  }

  @Override
  public void setAttribute(Path path, String attribute, Object value, LinkOption... options)
      throws IOException {
    Files.setAttribute(confineForWrite(path, follows(options)), attribute, value, options);
  }
}
