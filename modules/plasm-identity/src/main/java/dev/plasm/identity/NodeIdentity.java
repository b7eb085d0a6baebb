package dev.plasm.identity;

import java.io.IOException;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Arrays;
import java.util.Base64;
import java.util.Set;

/**
 * The node's Ed25519 key pair, kept in {@code <home>/identity.key}.
 *
 * <p>The file holds the libp2p protobuf {@code PrivateKey} (type Ed25519, 64 bytes of seed and
 * public key), the format go- and js-libp2p use, so the same identity serves receipts and the
 * network. It is created with mode 0600 on first use and refused if others can read it.
 */
public final class NodeIdentity {
  /** The key file's name inside the Plasm home. */
  public static final String FILE_NAME = "identity.key";

  private static final byte[] PROTOBUF_PREFIX = {0x08, 0x01, 0x12, 0x40};
  private static final Set<PosixFilePermission> OWNER_ONLY = PosixFilePermissions.fromString("rw-------");

  private final byte[] seed;
  private final byte[] publicKey;
  private final PeerId peerId;
  private final Path file;

  private NodeIdentity(byte[] seed, Path file) {
    this.seed = seed;
    this.publicKey = Ed25519Keys.publicKey(seed);
    this.peerId = PeerId.ofEd25519(publicKey);
    this.file = file;
  }

  /** An in-memory identity from a known 32-byte seed (test vectors; never for a real node). */
  public static NodeIdentity fromSeed(byte[] seed) {
    if (seed.length != Ed25519Keys.SEED_BYTES) {
      throw new IllegalArgumentException("an Ed25519 seed has 32 bytes");
    }
    return new NodeIdentity(seed.clone(), null);
  }

  /** An identity that lives only in memory (tests, throw-away nodes). */
  public static NodeIdentity ephemeral() {
    return new NodeIdentity(Ed25519Keys.newSeed(), null);
  }

  /**
   * Loads {@code <home>/identity.key}, creating the home directory (0700) and the key (0600) if
   * they do not exist.
   *
   * @throws IdentityException if the file is unreadable, malformed, or readable by others
   */
  public static NodeIdentity loadOrCreate(Path home) {
    Path file = home.resolve(FILE_NAME);
    try {
      return load(file);
    } catch (NoSuchFileException e) {
      return create(home, file);
    } catch (IOException e) {
      throw new IdentityException("cannot read the node identity " + file + ": " + e.getMessage(), e);
    }
  }

  private static NodeIdentity load(Path file) throws IOException {
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
    Set<PosixFilePermission> others = Set.of(
        PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
        PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);
    if (perms.stream().anyMatch(others::contains)) {
      throw new IdentityException(
          "the node identity " + file + " is accessible to other users (mode "
              + PosixFilePermissions.toString(perms) + "); run: chmod 600 " + file);
    }
    byte[] bytes = Files.readAllBytes(file);
    if (bytes.length != 68 || !Arrays.equals(bytes, 0, 4, PROTOBUF_PREFIX, 0, 4)) {
      throw new IdentityException(
          "the node identity " + file + " is not an Ed25519 libp2p private key (68 bytes); move it away to create a new one");
    }
    byte[] seed = Arrays.copyOfRange(bytes, 4, 36);
    NodeIdentity id = new NodeIdentity(seed, file);
    if (!Arrays.equals(id.publicKey, 0, 32, bytes, 36, 68)) {
      throw new IdentityException("the node identity " + file + " is corrupt: its public key does not match its seed");
    }
    return id;
  }

  private static NodeIdentity create(Path home, Path file) {
    try {
      if (!Files.isDirectory(home)) {
        Files.createDirectories(home, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      byte[] seed = Ed25519Keys.newSeed();
      byte[] pub = Ed25519Keys.publicKey(seed);
      byte[] bytes = new byte[68];
      System.arraycopy(PROTOBUF_PREFIX, 0, bytes, 0, 4);
      System.arraycopy(seed, 0, bytes, 4, 32);
      System.arraycopy(pub, 0, bytes, 36, 32);
      Path tmp = Files.createTempFile(home, ".identity", ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      try {
        Files.write(tmp, bytes);
        try (var ch = java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
          ch.force(true);
        }
        // Another process may create the identity at the same moment: the first one wins.
        try {
          Files.createLink(file, tmp);
        } catch (FileAlreadyExistsException e) {
          return load(file);
        } catch (UnsupportedOperationException | IOException e) {
          Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE);
        }
      } finally {
        Files.deleteIfExists(tmp);
      }
      return new NodeIdentity(seed, file);
    } catch (AtomicMoveNotSupportedException e) {
      throw new IdentityException("cannot create the node identity in " + home + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new IdentityException("cannot create the node identity in " + home + ": " + e.getMessage(), e);
    }
  }

  public PeerId peerId() {
    return peerId;
  }

  /** The raw 32-byte Ed25519 public key. */
  public byte[] publicKey() {
    return publicKey.clone();
  }

  /** The public key in standard base64, as receipts carry it. */
  public String publicKeyBase64() {
    return Base64.getEncoder().encodeToString(publicKey);
  }

  /** Where the key is stored, or null for an ephemeral identity. */
  public Path file() {
    return file;
  }

  /**
   * A copy of the 32-byte private key (RFC 8032 seed), for the network transport, which proves the
   * same identity in its handshakes. Never log or send it.
   */
  public byte[] privateKeySeed() {
    return seed.clone();
  }

  /** Signs a message with the node's key (pure Ed25519, RFC 8032). */
  public byte[] sign(byte[] message) {
    return Ed25519Keys.sign(seed, publicKey, message);
  }
}
