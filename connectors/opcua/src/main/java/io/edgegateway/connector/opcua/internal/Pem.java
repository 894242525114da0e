package io.edgegateway.connector.opcua.internal;

import java.io.IOException;
import java.io.InputStream;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.Key;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Collections;
import java.util.List;

import org.bouncycastle.asn1.pkcs.PrivateKeyInfo;
import org.bouncycastle.openssl.PEMKeyPair;
import org.bouncycastle.openssl.PEMParser;
import org.bouncycastle.openssl.jcajce.JcaPEMKeyConverter;

/** Reading and writing keys and certificates: PEM (PKCS#8 or PKCS#1 keys), DER, PKCS#12 key stores. */
final class Pem {

    /** A certificate (chain) with its private key. */
    record KeyAndChain(PrivateKey key, List<X509Certificate> chain) {
    }

    private Pem() {
    }

    static String privateKey(PrivateKey key) {
        return "-----BEGIN PRIVATE KEY-----\n"
                + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(key.getEncoded())
                + "\n-----END PRIVATE KEY-----\n";
    }

    /** An unencrypted private key in PEM: {@code PRIVATE KEY} (PKCS#8) or {@code RSA PRIVATE KEY} (PKCS#1). */
    static PrivateKey readPrivateKey(Path file) throws IOException {
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.US_ASCII); PEMParser parser = new PEMParser(r)) {
            Object o = parser.readObject();
            JcaPEMKeyConverter converter = new JcaPEMKeyConverter();
            if (o instanceof PrivateKeyInfo info) {
                return converter.getPrivateKey(info);
            }
            if (o instanceof PEMKeyPair pair) {
                return converter.getKeyPair(pair).getPrivate();
            }
            throw new IOException(file + " holds no unencrypted PEM private key (PRIVATE KEY or RSA PRIVATE KEY)"
                    + (o == null ? "" : ", found " + o.getClass().getSimpleName()));
        }
    }

    /** The first private key entry (or the one named {@code alias}) of a PKCS#12 (or JKS) key store. */
    static KeyAndChain readKeyStore(Path file, char[] password, String alias) throws IOException,
            GeneralSecurityException {
        KeyStore ks;
        try (InputStream in = Files.newInputStream(file)) {
            ks = KeyStore.getInstance(file.toString().toLowerCase().endsWith(".jks") ? "JKS" : "PKCS12");
            ks.load(in, password);
        }
        List<String> aliases = alias == null || alias.isBlank() ? Collections.list(ks.aliases()) : List.of(alias);
        for (String a : aliases) {
            if (!ks.isKeyEntry(a)) {
                continue;
            }
            Key key = ks.getKey(a, password);
            Certificate[] chain = ks.getCertificateChain(a);
            if (key instanceof PrivateKey pk && chain != null && chain.length > 0) {
                List<X509Certificate> certs = new ArrayList<>();
                for (Certificate c : chain) {
                    certs.add((X509Certificate) c);
                }
                return new KeyAndChain(pk, certs);
            }
        }
        throw new GeneralSecurityException(file + " has no private key entry"
                + (alias == null || alias.isBlank() ? "" : " named '" + alias + "'"));
    }
}
