package io.edgegateway.mqtt.support;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.X509Certificate;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;

import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PEM loading and the readable TLS errors, against a JDK TLS server that asks for a client certificate. */
class BrokerTlsTest {

    @TempDir
    static Path dir;
    static TestPki pki;
    static TestPki foreign;
    static TestPki.Issued server;
    static TestPki.Issued serverDnsOnly;
    static TestPki.Issued client;
    static TestPki.Issued foreignClient;

    @BeforeAll
    static void certificates() throws Exception {
        pki = TestPki.create(dir, "plant-ca");
        foreign = TestPki.create(dir, "foreign-ca");
        server = pki.server("broker", List.of("localhost"), List.of("127.0.0.1"));
        serverDnsOnly = pki.server("broker-dns-only", List.of("broker.example"), List.of());
        client = pki.client("gateway", "gateway-1", TestPki.KeyType.EC, TestPki.KeyFormat.PKCS8);
        foreignClient = foreign.client("intruder", "intruder", TestPki.KeyType.EC, TestPki.KeyFormat.PKCS8);
    }

    @Test
    void readsEveryKeyFormatAndChecksItAgainstTheCertificate() throws Exception {
        for (TestPki.KeyType type : TestPki.KeyType.values()) {
            for (TestPki.KeyFormat format : TestPki.KeyFormat.values()) {
                TestPki.Issued i = pki.client("c-" + type + "-" + format, "c", type, format);
                String label = Files.readString(i.key()).lines().findFirst().orElseThrow();
                assertThat(label).isEqualTo(format == TestPki.KeyFormat.PKCS8 ? "-----BEGIN PRIVATE KEY-----"
                        : "-----BEGIN " + type + " PRIVATE KEY-----");
                var key = PemFiles.privateKey("tls.key.file", i.key());
                assertThat(key.getAlgorithm()).isEqualTo(type.name());
                X509Certificate cert = PemFiles.certificates("tls.cert.file", i.cert()).get(0);
                PemFiles.checkKeyMatches(key, cert, "tls.key.file", i.key(), "tls.cert.file", i.cert());
                new BrokerTls(pki.caFile(), i.cert(), i.key(), true).socketFactory();
            }
        }
    }

    @Test
    void aKeyOfAnotherCertificateIsNamed() {
        BrokerTls tls = new BrokerTls(pki.caFile(), client.cert(), server.key(), true);
        assertThatThrownBy(tls::socketFactory).isInstanceOf(TlsSetupException.class)
                .hasMessageContaining("setting 'tls.key.file' = '" + server.key() + "'")
                .hasMessageContaining("does not belong to the certificate in tls.cert.file");
    }

    @Test
    void missingUnreadableAndEncryptedFilesAreNamed() throws Exception {
        Path missing = dir.resolve("nope.pem");
        assertThatThrownBy(() -> new BrokerTls(missing, null, null, true).socketFactory())
                .hasMessage("setting 'tls.ca.file' = '" + missing + "' does not exist");
        Path encrypted = dir.resolve("encrypted.key");
        Files.writeString(encrypted, "-----BEGIN ENCRYPTED PRIVATE KEY-----\nMIIB\n-----END ENCRYPTED PRIVATE KEY-----\n");
        assertThatThrownBy(() -> new BrokerTls(null, client.cert(), encrypted, true).socketFactory())
                .hasMessageContaining("tls.key.file").hasMessageContaining("encrypted private key");
        Path notPem = dir.resolve("not.pem");
        Files.writeString(notPem, "hello");
        assertThatThrownBy(() -> new BrokerTls(notPem, null, null, true).socketFactory())
                .hasMessageContaining("setting 'tls.ca.file'").hasMessageContaining("not a PEM certificate file");
        assertThatThrownBy(() -> new BrokerTls(null, client.cert(), notPem, true).socketFactory())
                .hasMessageContaining("setting 'tls.key.file'").hasMessageContaining("contains no private key");
    }

    @Test
    void aFileThatAppearsLaterIsPickedUp() throws Exception {
        Path later = dir.resolve("later-ca.pem");
        BrokerTls tls = new BrokerTls(later, null, null, true);
        assertThatThrownBy(tls::socketFactory).hasMessageContaining("does not exist");
        Files.copy(pki.caFile(), later);
        assertThat(tls.socketFactory()).isNotNull();
    }

    @Test
    void mutualTlsWorksWithTheRightCertificates() throws Exception {
        try (TlsServer s = new TlsServer(server)) {
            BrokerTls tls = new BrokerTls(pki.caFile(), client.cert(), client.key(), true);
            assertThat(s.exchange(tls)).isNull();
            assertThat(s.clientSubject.get()).contains("CN=gateway-1");
        }
    }

    @Test
    void anUntrustedBrokerIsExplained() throws Exception {
        try (TlsServer s = new TlsServer(server)) {
            BrokerTls tls = new BrokerTls(foreign.caFile(), client.cert(), client.key(), true);
            String why = tls.explain(s.exchange(tls));
            assertThat(why).contains("the broker's certificate '").contains("CN=localhost").contains("is not trusted")
                    .contains("tls.ca.file = '" + foreign.caFile() + "'");
        }
    }

    @Test
    void aBrokerCertificateForAnotherHostIsExplainedAndTheCheckCanBeSwitchedOff() throws Exception {
        try (TlsServer s = new TlsServer(serverDnsOnly)) {
            BrokerTls tls = new BrokerTls(pki.caFile(), client.cert(), client.key(), true);
            assertThat(tls.explain(s.exchange(tls))).contains("is not valid for the host")
                    .contains("tls.hostname.verification=false");
            BrokerTls lax = new BrokerTls(pki.caFile(), client.cert(), client.key(), false);
            assertThat(s.exchange(lax)).isNull();
        }
    }

    @Test
    void aRejectedClientCertificateIsExplained() throws Exception {
        try (TlsServer s = new TlsServer(server)) {
            BrokerTls tls = new BrokerTls(pki.caFile(), foreignClient.cert(), foreignClient.key(), true);
            Throwable failure = s.exchange(tls);
            String why = tls.explain(failure);
            assertThat(why).as("%s", failure).contains("the broker rejected the client certificate from tls.cert.file = '"
                    + foreignClient.cert() + "'").contains("CN=intruder");
            BrokerTls none = new BrokerTls(pki.caFile(), null, null, true);
            assertThat(none.explain(s.exchange(none))).contains("the broker requires a client certificate");
        }
    }

    @Test
    void socketsHaveNoDelay() throws Exception {
        try (TlsServer s = new TlsServer(server)) {
            BrokerTls tls = new BrokerTls(pki.caFile(), client.cert(), client.key(), true);
            Socket plain = new Socket();
            plain.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), s.port()));
            try (Socket ssl = tls.socketFactory().createSocket(plain, "127.0.0.1", s.port(), true)) {
                assertThat(ssl.getTcpNoDelay()).isTrue();
            }
        }
    }

    /** A TLS echo-one-byte server that needs a client certificate signed by the plant CA. */
    static final class TlsServer implements AutoCloseable {
        final SSLServerSocket socket;
        final Thread thread;
        final AtomicReference<String> clientSubject = new AtomicReference<>();

        TlsServer(TestPki.Issued cert) throws Exception {
            KeyStore ks = KeyStore.getInstance("PKCS12");
            ks.load(null, null);
            ks.setKeyEntry("server", cert.keys().getPrivate(), new char[0], new X509Certificate[] {cert.certificate()});
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(ks, new char[0]);
            KeyStore ts = KeyStore.getInstance("PKCS12");
            ts.load(null, null);
            ts.setCertificateEntry("ca", pki.caCertificate());
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(ts);
            SSLContext ctx = SSLContext.getInstance("TLS");
            ctx.init(kmf.getKeyManagers(), tmf.getTrustManagers(), null);
            socket = (SSLServerSocket) ctx.getServerSocketFactory().createServerSocket(0, 10,
                    InetAddress.getLoopbackAddress());
            socket.setNeedClientAuth(true);
            thread = new Thread(this::serve, "tls-test-server");
            thread.setDaemon(true);
            thread.start();
        }

        int port() {
            return socket.getLocalPort();
        }

        private void serve() {
            while (!socket.isClosed()) {
                try (SSLSocket s = (SSLSocket) socket.accept()) {
                    s.startHandshake();
                    clientSubject.set(((X509Certificate) s.getSession().getPeerCertificates()[0])
                            .getSubjectX500Principal().getName());
                    int b = s.getInputStream().read();
                    s.getOutputStream().write(b);
                    s.getOutputStream().flush();
                } catch (IOException e) {
                    // a refused handshake: the client sees the alert
                }
            }
        }

        /** Connects like Paho (plain socket, TLS layered, SNI, host name check), writes and reads a byte. */
        Throwable exchange(BrokerTls tls) {
            try {
                Socket plain = new Socket();
                plain.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port()), 5000);
                try (SSLSocket s = (SSLSocket) tls.socketFactory().createSocket(plain, "127.0.0.1", port(), true)) {
                    s.setSoTimeout(5000);
                    if (tls.hostnameVerification()) {
                        SSLParameters p = new SSLParameters();
                        p.setEndpointIdentificationAlgorithm("HTTPS");
                        s.setSSLParameters(p);
                    }
                    s.startHandshake();
                    OutputStream out = s.getOutputStream();
                    out.write(42);
                    out.flush();
                    InputStream in = s.getInputStream();
                    if (in.read() != 42) {
                        throw new IOException("connection closed by the server");
                    }
                }
                return null;
            } catch (Exception e) {
                return e;
            }
        }

        @Override
        public void close() throws IOException {
            socket.close();
        }
    }
}
