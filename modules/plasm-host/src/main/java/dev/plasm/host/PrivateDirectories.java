package dev.plasm.host;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFileAttributes;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/** Directories only their owner may enter: for what another local user must not read or plant. */
final class PrivateDirectories {
  private PrivateDirectories() {}

  private static final boolean POSIX =
      FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

  /**
   * Makes {@code dir} and any missing parents with mode 0700 and returns it; an existing {@code dir}
   * must be a real directory (not a link) of this user that no one else may write.
   *
   * @throws IOException when it cannot be made, or exists and is not private
   */
  static Path create(Path dir) throws IOException {
    if (POSIX) {
      Files.createDirectories(
          dir, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      PosixFileAttributes a =
          Files.readAttributes(dir, PosixFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
      Set<PosixFilePermission> p = a.permissions();
      String me = System.getProperty("user.name");
      if (!a.isDirectory()
          || p.contains(PosixFilePermission.GROUP_WRITE)
          || p.contains(PosixFilePermission.OTHERS_WRITE)
          || (me != null && !a.owner().getName().equals(me))) {
        throw new IOException(dir + " is not a private directory of this user");
      }
    } else {
      Files.createDirectories(dir);
    }
    return dir;
  }
}
