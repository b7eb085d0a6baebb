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
 * The node's Ed25519 key pair, kept in {@code <home>/identity.key}: it signs receipts and, as a
 * libp2p peer id, names the node on the network.
 *
 * <p>The file holds the libp2p protobuf {@code PrivateKey} (type Ed25519, 64 bytes of seed and
 * public key), the format go- and js-libp2p use, so the same identity serves receipts and the
 * network. It is created with mode 0600 on first use and refused if others can read it.
 */
public final class NodeIdentity {
  /** The key file's name inside the Plasm home. */
  public static final String FILE_NAME = "identity.key";

  private static final Set<PosixFilePermission> OWNER_ONLY =
      PosixFilePermissions.fromString("rw-------");

  private final byte[] seed;
  private final byte[] rawPublicKey;
  private final PeerPublicKey publicKey;
  private final PeerId peerId;
  private final Path file;

  private NodeIdentity(byte[] seed, Path file) {
    this.seed = seed;
    this.rawPublicKey = Ed25519Keys.publicKey(seed);
    this.publicKey = PeerPublicKey.ed25519(rawPublicKey);
    this.peerId = publicKey.peerId();
    this.file = file;
  }

  /** An in-memory identity from a known 32-byte seed (test vectors; never for a real node). */
  public static NodeIdentity fromSeed(byte[] seed) {
    if (seed.length != Ed25519Keys.SEED_BYTES) {
      throw new IllegalArgumentException("an Ed25519 seed has 32 bytes, not " + seed.length);
    }
    return new NodeIdentity(seed.clone(), null);
  }

  /** An identity that lives only in memory (tests, throw-away nodes). */
  public static NodeIdentity ephemeral() {
    return new NodeIdentity(Ed25519Keys.newSeed(), null);
  }

  /**
   * An in-memory identity from a libp2p {@code PrivateKey} protobuf of type Ed25519, whose data is
   * seed‖public (64 bytes, as go and js write it), the legacy seed‖public‖public (96 bytes), or a
   * bare 32-byte seed; every public half must match the seed.
   *
   * @throws KeyFormatException if the bytes are not such a key ({@link
   *     UnsupportedKeyTypeException} for another key type: only Ed25519 can be a node identity)
   */
  public static NodeIdentity decodePrivateKey(byte[] protobuf) {
    return new NodeIdentity(seedOf(protobuf), null);
  }

  private static byte[] seedOf(byte[] protobuf) {
    KeyProtobuf m = KeyProtobuf.decode(protobuf, "PrivateKey");
    if (m.type() != KeyType.ED25519) {
      throw new UnsupportedKeyTypeException(
          "only Ed25519 private keys can be a node identity, not " + m.type());
    }
    byte[] data = m.data();
    if (data.length != 32 && data.length != 64 && data.length != 96) {
      throw new KeyFormatException(
          "Ed25519 private key data has 32, 64 or 96 bytes, not " + data.length);
    }
    byte[] seed = Arrays.copyOf(data, Ed25519Keys.SEED_BYTES);
    byte[] expected = Ed25519Keys.publicKey(seed);
    for (int off = 32; off < data.length; off += 32) {
      if (!Arrays.equals(expected, 0, 32, data, off, off + 32)) {
        throw new KeyFormatException(
            "the Ed25519 private key carries a public key that does not match its seed");
      }
    }
    return seed;
  }

  /** The libp2p {@code PrivateKey} protobuf of this identity, with data seed‖public as go and js write it. */
  public byte[] encodePrivateKey() {
    byte[] data = Arrays.copyOf(seed, 64);
    System.arraycopy(rawPublicKey, 0, data, 32, 32);
    return new KeyProtobuf(KeyType.ED25519, data).encode();
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
      throw new IdentityException(
          "cannot read the node identity " + file + ": " + e.getMessage(), e);
    }
  }

  private static NodeIdentity load(Path file) throws IOException {
    Set<PosixFilePermission> perms = Files.getPosixFilePermissions(file);
    Set<PosixFilePermission> others =
        Set.of(
            PosixFilePermission.GROUP_READ, PosixFilePermission.GROUP_WRITE,
            PosixFilePermission.OTHERS_READ, PosixFilePermission.OTHERS_WRITE);
    if (perms.stream().anyMatch(others::contains)) {
      throw new IdentityException(
          "the node identity "
              + file
              + " is accessible to other users (mode "
              + PosixFilePermissions.toString(perms)
              + "); run: chmod 600 "
              + file);
    }
    byte[] bytes = Files.readAllBytes(file);
    try {
      return new NodeIdentity(seedOf(bytes), file);
    } catch (KeyFormatException e) {
      throw new IdentityException(
          "the node identity "
              + file
              + " is not an Ed25519 libp2p private key ("
              + e.getMessage()
              + "); move it away to create a new one",
          e);
    }
  }

  private static NodeIdentity create(Path home, Path file) {
    try {
      if (!Files.isDirectory(home)) {
        Files.createDirectories(
            home,
            PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rwx------")));
      }
      NodeIdentity fresh = new NodeIdentity(Ed25519Keys.newSeed(), file);
      byte[] bytes = fresh.encodePrivateKey();
      Path tmp =
          Files.createTempFile(
              home, ".identity", ".tmp", PosixFilePermissions.asFileAttribute(OWNER_ONLY));
      try {
        Files.write(tmp, bytes);
        try (var ch =
            java.nio.channels.FileChannel.open(tmp, java.nio.file.StandardOpenOption.WRITE)) {
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
      return fresh;
    } catch (AtomicMoveNotSupportedException e) {
      throw new IdentityException(
          "cannot create the node identity in " + home + ": " + e.getMessage(), e);
    } catch (IOException e) {
      throw new IdentityException(
          "cannot create the node identity in " + home + ": " + e.getMessage(), e);
    }
  }

  public PeerId peerId() {
    return peerId;
  }

  /** The Ed25519 public key ({@code publicKey().data()} is its 32 raw bytes). */
  public PeerPublicKey publicKey() {
    return publicKey;
  }

  /** The raw public key in standard base64, as receipts carry it. */
  public String publicKeyBase64() {
    return Base64.getEncoder().encodeToString(rawPublicKey);
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
    return Ed25519Keys.sign(seed, rawPublicKey, message);
  }

  @Override
  public String toString() {
    return "NodeIdentity[" + peerId + (file == null ? "" : ", " + file) + "]";
  }
}
