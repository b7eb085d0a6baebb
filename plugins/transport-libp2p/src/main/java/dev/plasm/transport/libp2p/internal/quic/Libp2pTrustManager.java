package dev.plasm.transport.libp2p.internal.quic;

import dev.plasm.identity.PeerPublicKey;
import dev.plasm.transport.libp2p.Libp2pException;
import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.time.Instant;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * Trusts a peer exactly when its certificate is a valid libp2p certificate ({@link
 * Libp2pCertificate#verify}); no certificate authority is involved. The verified host key, or why
 * the peer was refused, goes to a {@link Verdict} for the connection it belongs to, so the caller
 * learns the peer id (and a dialer can refuse an unexpected one inside the handshake).
 *
 * <p>It must be the {@code Extended} variant: with a plain {@code X509TrustManager} Netty's
 * builder insists on HTTPS host name checks.
 */
public final class Libp2pTrustManager extends X509ExtendedTrustManager {
  /** Receives the outcome of each check. */
  public interface Verdict {
    /**
     * The certificate is a valid libp2p certificate of {@code key}; throw to refuse the peer
     * anyway (a dialer that expected another peer id).
     */
    void verified(SSLEngine engine, PeerPublicKey key) throws CertificateException;

    /** The certificate was refused for {@code why}. */
    void refused(SSLEngine engine, String why);
  }

  private final Verdict verdict;

  public Libp2pTrustManager(Verdict verdict) {
    this.verdict = verdict;
  }

  private void check(X509Certificate[] chain, SSLEngine engine) throws CertificateException {
    PeerPublicKey key;
    try {
      key = Libp2pCertificate.verify(chain, Instant.now());
    } catch (Libp2pException e) {
      verdict.refused(engine, e.getMessage());
      throw new CertificateException(e.getMessage(), e);
    }
    verdict.verified(engine, key);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(chain, engine);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
      throws CertificateException {
    check(chain, engine);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(chain, null);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
      throws CertificateException {
    check(chain, null);
  }

  @Override
  public void checkClientTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    check(chain, null);
  }

  @Override
  public void checkServerTrusted(X509Certificate[] chain, String authType)
      throws CertificateException {
    check(chain, null);
  }

  @Override
  public X509Certificate[] getAcceptedIssuers() {
    return new X509Certificate[0];
  }
}
