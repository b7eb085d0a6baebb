package dev.plasm.engine.spi.support;

import java.io.IOException;
import java.net.URI;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.ProviderMismatchException;
import java.nio.file.WatchEvent;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;

/** A path of a {@link ConfinedFileSystem}: a default-file-system path plus the confinement. */
final class ConfinedPath implements Path {
  private final ConfinedFileSystem fs;
  private final Path delegate;

  ConfinedPath(ConfinedFileSystem fs, Path delegate) {
    this.fs = fs;
    this.delegate = delegate;
  }

  static Path unwrap(Path p) {
    if (p instanceof ConfinedPath c) {
      return c.delegate;
    }
    throw new ProviderMismatchException("not a confined path: " + p);
  }

  Path delegate() {
    return delegate;
  }

  private ConfinedPath wrap(Path p) {
    return p == null ? null : new ConfinedPath(fs, p);
  }

  private Path other(Path p) {
    if (p instanceof ConfinedPath c && c.fs == fs) {
      return c.delegate;
    }
    throw new ProviderMismatchException("path belongs to another file system: " + p);
  }

  /**
   * The absolute, normalised default-file-system path this path names (not yet confined). As in a
   * chroot, {@code ..} at the root stays at the root: a directory listing asks for {@code root/..}.
   */
  Path logical() {
    Path root = fs.root();
    Path abs = delegate.isAbsolute() ? delegate : root.resolve(delegate);
    if (!abs.startsWith(root)) {
      return abs.normalize();
    }
    java.util.ArrayDeque<String> parts = new java.util.ArrayDeque<>();
    for (Path name : root.relativize(abs)) {
      String n = name.toString();
      if (n.isEmpty() || n.equals(".")) {
        continue;
      }
      if (n.equals("..")) {
        parts.pollLast();
      } else {
        parts.addLast(n);
      }
    }
    Path result = root;
    for (String n : parts) {
      result = result.resolve(n);
    }
    return result;
  }

  @Override
  public ConfinedFileSystem getFileSystem() {
    return fs;
  }

  @Override
  public boolean isAbsolute() {
    return delegate.isAbsolute();
  }

  @Override
  public Path getRoot() {
    return wrap(delegate.getRoot());
  }

  @Override
  public Path getFileName() {
    return wrap(delegate.getFileName());
  }

  @Override
  public Path getParent() {
    return wrap(delegate.getParent());
  }

  @Override
  public int getNameCount() {
    return delegate.getNameCount();
  }

  @Override
  public Path getName(int index) {
    return wrap(delegate.getName(index));
  }

  @Override
  public Path subpath(int beginIndex, int endIndex) {
    return wrap(delegate.subpath(beginIndex, endIndex));
  }

  @Override
  public boolean startsWith(Path other) {
    return other instanceof ConfinedPath c && c.fs == fs && delegate.startsWith(c.delegate);
  }

  @Override
  public boolean endsWith(Path other) {
    return other instanceof ConfinedPath c && c.fs == fs && delegate.endsWith(c.delegate);
  }

  @Override
  public Path normalize() {
    return wrap(delegate.normalize());
  }

  @Override
  public Path resolve(Path other) {
    return wrap(delegate.resolve(other(other)));
  }

  @Override
  public Path resolve(String other) {
    return wrap(delegate.resolve(other));
  }

  @Override
  public Path relativize(Path other) {
    return wrap(delegate.relativize(other(other)));
  }

  @Override
  public URI toUri() {
    throw new UnsupportedOperationException("confined paths have no URI");
  }

  @Override
  public Path toAbsolutePath() {
    return wrap(logical());
  }

  @Override
  public Path toRealPath(LinkOption... options) throws IOException {
    boolean follow = !java.util.Arrays.asList(options).contains(LinkOption.NOFOLLOW_LINKS);
    return wrap(fs.provider().confine(this, follow));
  }

  @Override
  public WatchKey register(
      WatchService watcher, WatchEvent.Kind<?>[] events, WatchEvent.Modifier... modifiers) {
    throw new UnsupportedOperationException("watching is not available to guests");
  }

  @Override
  public int compareTo(Path other) {
    return delegate.compareTo(other(other));
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ConfinedPath c && c.fs == fs && c.delegate.equals(delegate);
  }

  @Override
  public int hashCode() {
    return delegate.hashCode();
  }

  @Override
  public String toString() {
    return delegate.toString();
  }
}
