package dev.plasm.transport.libp2p.internal.noise;

import java.io.BufferedOutputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.GeneralSecurityException;

/**
 * The Noise transport phase: a byte stream carried in {@code u16be length || ciphertext || tag}
 * frames (libp2p noise spec §Wire Format).
 *
 * <p>Writes longer than {@value #MAX_PLAINTEXT} bytes are split, because a frame carries at most
 * 65535 bytes including the 16-byte tag; shorter writes are collected until {@code flush()}. Reading is for one thread (the muxer's reader); writing is
 * synchronised so that the nonce order matches the frame order on the wire.
 */
public final class SecureChannel {
  public static final int MAX_FRAME = 65535;
  public static final int MAX_PLAINTEXT = MAX_FRAME - CipherState.TAG_LENGTH;

  private final InputStream rawIn;
  private final OutputStream rawOut;
  private final CipherState sendCipher;
  private final CipherState recvCipher;
  private final byte[] frameOut = new byte[2 + MAX_FRAME];
  private final byte[] frameIn = new byte[MAX_FRAME];
  private final byte[] plain = new byte[MAX_FRAME];
  private int plainPos;
  private int plainLen;
  private final InputStream in = new In();
  private final OutputStream out = new Out();

  SecureChannel(InputStream rawIn, OutputStream rawOut, CipherState send, CipherState recv) {
    this.rawIn = rawIn;
    // Frames written between two flushes go out in as few TCP writes as possible.
    this.rawOut = new BufferedOutputStream(rawOut, 2 * (2 + MAX_FRAME));
    this.sendCipher = send;
    this.recvCipher = recv;
  }

  /** The decrypted inbound byte stream. */
  public InputStream input() {
    return in;
  }

  /** The outbound byte stream; bytes are sent on {@code flush()} (or when a buffer fills). */
  public OutputStream output() {
    return out;
  }

  /** Reads and decrypts the next frame; false at a clean end of stream between frames. */
  private boolean readFrame() throws IOException {
    int hi = rawIn.read();
    if (hi < 0) {
      return false;
    }
    int lo = rawIn.read();
    if (lo < 0) {
      throw new EOFException("end of stream inside a Noise frame header");
    }
    int len = (hi << 8) | lo;
    if (len < CipherState.TAG_LENGTH) {
      throw new IOException("Noise frame of " + len + " bytes cannot hold its 16-byte tag");
    }
    if (rawIn.readNBytes(frameIn, 0, len) != len) {
      throw new EOFException("end of stream inside a Noise frame");
    }
    try {
      plainLen = recvCipher.decrypt(null, frameIn, 0, len, plain, 0);
    } catch (GeneralSecurityException e) {
      throw new IOException("Noise frame failed authentication: " + e.getMessage(), e);
    }
    plainPos = 0;
    return true;
  }

  private final class In extends InputStream {
    private boolean eof;

    @Override
    public int read() throws IOException {
      byte[] one = new byte[1];
      return read(one, 0, 1) < 0 ? -1 : one[0] & 0xFF;
    }

    @Override
    public int read(byte[] b, int off, int len) throws IOException {
      if (len == 0) {
        return 0;
      }
      while (plainPos == plainLen) {
        if (eof || !readFrame()) {
          eof = true;
          return -1;
        }
      }
      int n = Math.min(len, plainLen - plainPos);
      System.arraycopy(plain, plainPos, b, off, n);
      plainPos += n;
      return n;
    }

    @Override
    public int available() {
      return plainLen - plainPos;
    }
  }

  /**
   * Collects plaintext until a frame is full or {@code flush()} is called, so that many small
   * writes (12-byte Yamux headers, multistream-select messages) share one Noise frame.
   */
  private final class Out extends OutputStream {
    private final byte[] pending = new byte[MAX_PLAINTEXT];
    private int pendingLen;

    @Override
    public void write(int b) throws IOException {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      synchronized (SecureChannel.this) {
        while (len > 0) {
          if (pendingLen == 0 && len >= MAX_PLAINTEXT) {
            // A full frame straight from the caller's array: no copy.
            emit(b, off, MAX_PLAINTEXT);
            off += MAX_PLAINTEXT;
            len -= MAX_PLAINTEXT;
            continue;
          }
          int n = Math.min(len, MAX_PLAINTEXT - pendingLen);
          System.arraycopy(b, off, pending, pendingLen, n);
          pendingLen += n;
          off += n;
          len -= n;
          if (pendingLen == MAX_PLAINTEXT) {
            emit(pending, 0, pendingLen);
            pendingLen = 0;
          }
        }
      }
    }

    @Override
    public void flush() throws IOException {
      synchronized (SecureChannel.this) {
        if (pendingLen > 0) {
          emit(pending, 0, pendingLen);
          pendingLen = 0;
        }
        rawOut.flush();
      }
    }

    @Override
    public void close() throws IOException {
      synchronized (SecureChannel.this) {
        rawOut.close();
      }
    }

    private void emit(byte[] b, int off, int n) throws IOException {
      int c;
      try {
        c = sendCipher.encrypt(null, b, off, n, frameOut, 2);
      } catch (GeneralSecurityException e) {
        throw new IOException("Noise encryption failed: " + e.getMessage(), e);
      }
      frameOut[0] = (byte) (c >>> 8);
      frameOut[1] = (byte) c;
      rawOut.write(frameOut, 0, 2 + c);
    }
  }
}
