package io.edgegateway.mqtt.support;

import java.io.IOException;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

import javax.net.ssl.KeyManager;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.SSLSocketFactory;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * TLS to an MQTT broker from PEM files: the CA certificates that sign the broker's certificate ({@code tls.ca.file};
 * none: the JVM's trust store) and, for mutual TLS, the client certificate chain and its private key
 * ({@code tls.cert.file}, {@code tls.key.file}). No key store is needed.
 *
 * <p>{@link #socketFactory()} reads the files on first use and again whenever one of them changed (size or time),
 * so certificates that appear later or are renewed are picked up by the next connect attempt. Every problem is a
 * {@link TlsSetupException} naming the setting and the file; {@link #explain(Throwable)} turns handshake failures
 * into sentences that say which side refused which certificate. Sockets have {@code TCP_NODELAY}.
 */
public final class BrokerTls {

    public static final String CA_FILE = "tls.ca.file";
    public static final String CERT_FILE = "tls.cert.file";
    public static final String KEY_FILE = "tls.key.file";
    public static final String HOSTNAME_VERIFICATION = "tls.hostname.verification";

    private final Path caFile;
    private final Path certFile;
    private final Path keyFile;
    private final boolean hostnameVerification;

    private List<Object> stamps;
    private SSLSocketFactory factory;
    private volatile String clientSubject;
    /** Of the current connect attempt: the broker's certificate passed our checks. */
    private volatile boolean serverTrusted;
    /** Of the current connect attempt: the broker asked for a client certificate. */
    private volatile boolean clientCertificateRequested;

    /**
     * @param caFile   PEM CA certificate(s); null: the JVM's default trust store
     * @param certFile PEM client certificate (chain); null: no client certificate (then keyFile must be null)
     * @param keyFile  PEM private key of the client certificate
     */
    public BrokerTls(Path caFile, Path certFile, Path keyFile, boolean hostnameVerification) {
        if ((certFile == null) != (keyFile == null)) {
            throw new IllegalArgumentException("setting '" + (certFile == null ? CERT_FILE : KEY_FILE)
                    + "' is missing: a client certificate needs both " + CERT_FILE + " and " + KEY_FILE);
        }
        this.caFile = caFile;
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.hostnameVerification = hostnameVerification;
    }

    public Path caFile() {
        return caFile;
    }

    public Path certFile() {
        return certFile;
    }

    public Path keyFile() {
        return keyFile;
    }

    public boolean hostnameVerification() {
        return hostnameVerification;
    }

    /** One line for the start-up log. */
    public String describe() {
        return "TLS: trust " + (caFile == null ? "the JVM's CA certificates" : caFile)
                + (certFile == null ? ", no client certificate" : ", client certificate " + certFile + " / key "
                + keyFile) + ", host name verification " + (hostnameVerification ? "on" : "OFF");
    }

    /** The socket factory for the next connect attempt; files are (re)read when they changed. */
    public synchronized SSLSocketFactory socketFactory() throws TlsSetupException {
        serverTrusted = false;
        clientCertificateRequested = false;
        List<Object> now = stamps();
        if (factory != null && now.equals(stamps)) {
            return factory;
        }
        factory = build();
        stamps = now;
        return factory;
    }

    private List<Object> stamps() {
        List<Object> out = new ArrayList<>();
        for (Path p : new Path[] {caFile, certFile, keyFile}) {
            if (p == null) {
                out.add(null);
                continue;
            }
            try {
                out.add(Files.getLastModifiedTime(p).toMillis() + "/" + Files.size(p));
            } catch (IOException e) {
                out.add("missing");
            }
        }
        return out;
    }

    private SSLSocketFactory build() throws TlsSetupException {
        try {
            TrustManager[] trust = trustManagers();
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            char[] pw = new char[0];
            if (certFile != null) {
                List<X509Certificate> chain = PemFiles.certificates(CERT_FILE, certFile);
                PrivateKey key = PemFiles.privateKey(KEY_FILE, keyFile);
                X509Certificate leaf = chain.get(0);
                PemFiles.checkKeyMatches(key, leaf, KEY_FILE, keyFile, CERT_FILE, certFile);
                clientSubject = leaf.getSubjectX500Principal().getName() + "' issued by '"
                        + leaf.getIssuerX500Principal().getName();
                ks.setKeyEntry("client", key, pw, chain.toArray(new X509Certificate[0]));
            }
            // also without a certificate (empty key store): to notice that the broker asks for one
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, pw);
            List<KeyManager> keys = new ArrayList<>();
            for (KeyManager km : kmf.getKeyManagers()) {
                keys.add(km instanceof X509ExtendedKeyManager x ? new RecordingKeyManager(x) : km);
            }
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(keys.toArray(new KeyManager[0]), trust, null);
            return new NoDelaySslSocketFactory(ctx.getSocketFactory());
        } catch (GeneralSecurityException | IOException e) {
            throw new TlsSetupException(certFile != null ? CERT_FILE : CA_FILE, certFile != null ? certFile : caFile,
                    "cannot be used for TLS: " + e, e);
        }
    }

    private TrustManager[] trustManagers() throws TlsSetupException, GeneralSecurityException, IOException {
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        if (caFile == null) {
            tmf.init((KeyStore) null);
        } else {
            List<X509Certificate> cas = PemFiles.certificates(CA_FILE, caFile);
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            int i = 0;
            for (X509Certificate c : cas) {
                ks.setCertificateEntry("ca-" + i++, c);
            }
            tmf.init(ks);
        }
        List<TrustManager> out = new ArrayList<>();
        for (TrustManager tm : tmf.getTrustManagers()) {
            out.add(tm instanceof X509ExtendedTrustManager x ? new ExplainingTrustManager(x) : tm);
        }
        return out.toArray(new TrustManager[0]);
    }

    /**
     * A readable sentence when {@code e} (from a connect attempt) is about TLS, else null. Names the setting and
     * file involved and which side refused: the broker's certificate (not trusted, or not for this host), or the
     * client certificate (rejected by the broker, or missing).
     */
    public String explain(Throwable e) {
        String alert = null;
        for (Throwable t = e; t != null; t = t.getCause() == t ? null : t.getCause()) {
            if (t instanceof TlsSetupException || t instanceof BrokerCertificateException) {
                return t.getMessage();
            }
            String m = t.getMessage();
            if (alert == null && m != null && t instanceof javax.net.ssl.SSLException) {
                alert = m;
            }
        }
        String m = alert == null ? "" : alert.toLowerCase(Locale.ROOT);
        boolean certAlert = m.contains("bad_certificate") || m.contains("unknown_ca")
                || m.contains("certificate_required") || m.contains("certificate_unknown")
                || m.contains("certificate_expired") || m.contains("certificate_revoked")
                || m.contains("access_denied") || m.contains("unsupported_certificate");
        if (certAlert && m.contains("alert")) {
            if (certFile == null) {
                return "the broker requires a client certificate (set " + CERT_FILE + " and " + KEY_FILE + "): "
                        + alert;
            }
            return "the broker rejected the client certificate from " + CERT_FILE + " = '" + certFile
                    + "' (subject '" + clientSubject + "'): " + alert;
        }
        if (serverTrusted && clientCertificateRequested) {
            // TLS 1.3: the broker checks the client certificate after the client finished its handshake and closes
            // the connection; the client then sees a broken pipe or a lost connection rather than the alert
            String cause = rootMessage(e);
            if (certFile == null) {
                return "the broker requires a client certificate: it asked for one and closed the connection (" + cause
                        + "); set " + CERT_FILE + " and " + KEY_FILE;
            }
            return "the broker rejected the client certificate from " + CERT_FILE + " = '" + certFile + "' (subject '"
                    + clientSubject + "'): it closed the connection right after the TLS handshake (" + cause
                    + "); is the certificate signed by a CA the broker trusts?";
        }
        return alert == null ? null : "TLS handshake failed: " + alert;
    }

    private static String rootMessage(Throwable e) {
        Throwable t = e;
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t.getMessage() == null ? t.getClass().getSimpleName() : t.getMessage();
    }

    /** Notes that the broker asked for a client certificate. */
    private final class RecordingKeyManager extends X509ExtendedKeyManager {
        private final X509ExtendedKeyManager delegate;

        RecordingKeyManager(X509ExtendedKeyManager delegate) {
            this.delegate = delegate;
        }

        @Override
        public String chooseEngineClientAlias(String[] keyType, Principal[] issuers, SSLEngine engine) {
            clientCertificateRequested = true;
            return delegate.chooseEngineClientAlias(keyType, issuers, engine);
        }

        @Override
        public String chooseClientAlias(String[] keyType, Principal[] issuers, Socket socket) {
            clientCertificateRequested = true;
            return delegate.chooseClientAlias(keyType, issuers, socket);
        }

        @Override
        public String[] getClientAliases(String keyType, Principal[] issuers) {
            return delegate.getClientAliases(keyType, issuers);
        }

        @Override
        public String[] getServerAliases(String keyType, Principal[] issuers) {
            return delegate.getServerAliases(keyType, issuers);
        }

        @Override
        public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
            return delegate.chooseServerAlias(keyType, issuers, socket);
        }

        @Override
        public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
            return delegate.chooseEngineServerAlias(keyType, issuers, engine);
        }

        @Override
        public X509Certificate[] getCertificateChain(String alias) {
            return delegate.getCertificateChain(alias);
        }

        @Override
        public PrivateKey getPrivateKey(String alias) {
            return delegate.getPrivateKey(alias);
        }
    }

    /** The broker's certificate was refused here; the message says why and which setting decides. */
    public static final class BrokerCertificateException extends CertificateException {
        private static final long serialVersionUID = 1L;

        BrokerCertificateException(String message, Throwable cause) {
            super(message, cause);
        }
    }

    /** Delegates and rewrites the refusal into a sentence an operator can act on. */
    private final class ExplainingTrustManager extends X509ExtendedTrustManager {
        private final X509ExtendedTrustManager delegate;

        ExplainingTrustManager(X509ExtendedTrustManager delegate) {
            this.delegate = Objects.requireNonNull(delegate);
        }

        private CertificateException explained(X509Certificate[] chain, CertificateException e) {
            String subject = chain == null || chain.length == 0 ? "?" : chain[0].getSubjectX500Principal().getName();
            String issuer = chain == null || chain.length == 0 ? "?" : chain[0].getIssuerX500Principal().getName();
            String m = String.valueOf(e.getMessage());
            String lower = m.toLowerCase(Locale.ROOT);
            String text;
            if (lower.contains("subject alternative") || lower.contains("no name matching")
                    || lower.contains("does not match")) {
                text = "the broker's certificate '" + subject + "' is not valid for the host in broker.url (" + m
                        + "); fix broker.url or the certificate, or set " + HOSTNAME_VERIFICATION
                        + "=false to skip the check";
            } else if (caFile == null) {
                text = "the broker's certificate '" + subject + "' issued by '" + issuer + "' is not trusted by the "
                        + "JVM's CA certificates; set " + CA_FILE + " to the CA that signed it (" + m + ")";
            } else {
                text = "the broker's certificate '" + subject + "' issued by '" + issuer + "' is not trusted: it is "
                        + "not signed by a CA in " + CA_FILE + " = '" + caFile + "' (" + m + ")";
            }
            return new BrokerCertificateException(text, e);
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            try {
                delegate.checkServerTrusted(chain, authType, socket);
                serverTrusted = true;
            } catch (CertificateException e) {
                throw explained(chain, e);
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            try {
                delegate.checkServerTrusted(chain, authType, engine);
                serverTrusted = true;
            } catch (CertificateException e) {
                throw explained(chain, e);
            }
        }

        @Override
        public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            try {
                delegate.checkServerTrusted(chain, authType);
                serverTrusted = true;
            } catch (CertificateException e) {
                throw explained(chain, e);
            }
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
                throws CertificateException {
            delegate.checkClientTrusted(chain, authType, socket);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
                throws CertificateException {
            delegate.checkClientTrusted(chain, authType, engine);
        }

        @Override
        public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
            delegate.checkClientTrusted(chain, authType);
        }

        @Override
        public X509Certificate[] getAcceptedIssuers() {
            return delegate.getAcceptedIssuers();
        }
    }
}
