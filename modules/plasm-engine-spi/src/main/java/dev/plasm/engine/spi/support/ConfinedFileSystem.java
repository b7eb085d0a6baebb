package dev.plasm.engine.spi.support;

import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.nio.file.PathMatcher;
import java.nio.file.WatchService;
import java.nio.file.attribute.UserPrincipalLookupService;
import java.util.List;
import java.util.Objects;
import java.util.Set;

/**
 * A view of one host directory as a {@link java.nio.file.FileSystem} that cannot be left.
 *
 * <p>WASI implementations written against {@code java.nio} (Chicory's own among them) check guest
 * paths lexically and then let the operating system follow symlinks, so a symlink inside a
 * preopened directory leads anywhere on the host. This file system is for such an implementation;
 * Plasm's engines use Plasm's own WASI ({@link dev.plasm.engine.spi.support.wasi.WasiPreview1}),
 * which resolves paths itself. Paths of this file system resolve every symlink before each
 * operation and refuse, with {@link java.nio.file.AccessDeniedException}, any path whose real
 * location is outside the directory. Hard and symbolic links cannot be created through it, and a
 * read-only view refuses every write.
 *
 * <p>A race remains with host processes (not the guest) that swap directories for symlinks
 * between the check and the operation; the final path component is opened with {@link
 * LinkOption#NOFOLLOW_LINKS} to narrow it.
 */
public final class ConfinedFileSystem extends FileSystem {
  private final Path root;
  private final boolean readOnly;
  private final ConfinedFileSystemProvider provider;
  private final ConfinedPath rootPath;

  private ConfinedFileSystem(Path realRoot, boolean readOnly) {
    this.root = realRoot;
    this.readOnly = readOnly;
    this.provider = new ConfinedFileSystemProvider(this);
    this.rootPath = new ConfinedPath(this, realRoot);
  }

  /**
   * Confines {@code directory} and returns the path of its root, to hand to a WASI implementation
   * in place of the real directory.
   *
   * @throws NoSuchFileException if the directory does not exist
   * @throws NotDirectoryException if it is not a directory
   */
  public static Path open(Path directory, boolean readOnly) throws IOException {
    Objects.requireNonNull(directory, "directory");
    Path real = directory.toRealPath();
    if (!Files.isDirectory(real)) {
      throw new NotDirectoryException(directory.toString());
    }
    return new ConfinedFileSystem(real, readOnly).rootPath;
  }

  /** The real host directory this file system is confined to. */
  public Path hostRoot() {
    return root;
  }

  Path root() {
    return root;
  }

  ConfinedPath rootPath() {
    return rootPath;
  }

  @Override
  public ConfinedFileSystemProvider provider() {
    return provider;
  }

  @Override
  public void close() {
    // Nothing is held open; closing the view must not close the default file system.
  }

  @Override
  public boolean isOpen() {
    return true;
  }

  @Override
  public boolean isReadOnly() {
    return readOnly;
  }

  @Override
  public String getSeparator() {
    return "/";
  }

  @Override
  public Iterable<Path> getRootDirectories() {
    return List.of(rootPath);
  }

  @Override
  public Iterable<FileStore> getFileStores() {
    try {
      return List.of(Files.getFileStore(root));
    } catch (IOException e) {
      return List.of();
    }
  }

  @Override
  public Set<String> supportedFileAttributeViews() {
    return FileSystems.getDefault().supportedFileAttributeViews();
  }

  @Override
  public Path getPath(String first, String... more) {
    return new ConfinedPath(this, FileSystems.getDefault().getPath(first, more));
  }

  @Override
  public PathMatcher getPathMatcher(String syntaxAndPattern) {
    PathMatcher m = FileSystems.getDefault().getPathMatcher(syntaxAndPattern);
    return p -> m.matches(ConfinedPath.unwrap(p));
  }

  @Override
  public UserPrincipalLookupService getUserPrincipalLookupService() {
    throw new UnsupportedOperationException("user principals are not available to guests");
  }

  @Override
  public WatchService newWatchService() {
    throw new UnsupportedOperationException("watch services are not available to guests");
  }
}
