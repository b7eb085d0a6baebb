package dev.plasm.engine.spi;

import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;

/**
 * What the host gives an engine when it creates one: where it may keep compiled code between
 * processes.
 *
 * <p>The cache directory is the engine's own (one per engine id and version), private to the user
 * the host runs as (mode 0700), and already exists. An engine may store compiled modules there keyed
 * by the module's bytes and its own settings, and MUST treat what it reads back as possibly stale or
 * damaged (a crash mid-write, a full disk): an entry that does not load is compiled again, never an
 * error for the job. Whoever can write this directory can make the engine run their code, as
 * whoever can write the plugin directories can; the host keeps it in the same private home.
 *
 * @param cacheDirectory the engine's cache directory, or null to keep nothing on disk
 */
public record EngineEnvironment(Path cacheDirectory) {

  /** No cache: every process compiles for itself. */
  public static final EngineEnvironment NONE = new EngineEnvironment(null);

  public EngineEnvironment {
    if (cacheDirectory != null) {
      cacheDirectory = cacheDirectory.toAbsolutePath().normalize();
      if (!Files.isDirectory(cacheDirectory, LinkOption.NOFOLLOW_LINKS)) {
        throw new IllegalArgumentException(
            "cacheDirectory: " + cacheDirectory + " is not a directory (the host creates it)");
      }
    }
  }
}
