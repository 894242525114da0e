package io.edgegateway.connector.mqtt.internal;

import java.nio.file.Path;

import io.edgegateway.mqtt.support.BrokerTls;

/**
 * The TLS settings shared by the source and the uplink: {@code tls.ca.file}, {@code tls.cert.file},
 * {@code tls.key.file} (PEM; relative paths are below the gateway home) and {@code tls.hostname.verification}.
 * Only for {@code ssl://} (or {@code mqtts://}) broker URLs.
 */
record TlsSettings(String caFile, String certFile, String keyFile, boolean hostnameVerification) {

    /** The validated settings; null for a plain tcp:// broker (then no tls.* file may be set). */
    static TlsSettings validate(ConfigCheck s, ConfigCheck.BrokerUrl broker, String ca, String cert, String key,
                                boolean hostnameVerification) {
        String caFile = ConfigCheck.optional(ca);
        String certFile = ConfigCheck.optional(cert);
        String keyFile = ConfigCheck.optional(key);
        if (!"ssl".equals(broker.scheme())) {
            String set = caFile != null ? BrokerTls.CA_FILE : certFile != null ? BrokerTls.CERT_FILE
                    : keyFile != null ? BrokerTls.KEY_FILE : null;
            if (set != null) {
                throw s.invalid(set, caFile != null ? caFile : certFile != null ? certFile : keyFile,
                        "needs a TLS broker: broker.url is " + broker.url() + " (use ssl://host:port or "
                                + "mqtts://host:port, default port 8883)");
            }
            return null;
        }
        if (certFile != null && keyFile == null) {
            throw s.missing(BrokerTls.KEY_FILE, "the private key (PEM) of the client certificate in "
                    + BrokerTls.CERT_FILE);
        }
        if (keyFile != null && certFile == null) {
            throw s.missing(BrokerTls.CERT_FILE, "the client certificate (PEM) whose key is in " + BrokerTls.KEY_FILE);
        }
        return new TlsSettings(caFile, certFile, keyFile, hostnameVerification);
    }

    /** The TLS set-up for the connection; files are read at each connect attempt that finds them changed. */
    BrokerTls create(String gatewayHome) {
        return new BrokerTls(resolve(caFile, gatewayHome), resolve(certFile, gatewayHome),
                resolve(keyFile, gatewayHome), hostnameVerification);
    }

    static Path resolve(String file, String gatewayHome) {
        if (file == null) {
            return null;
        }
        Path p = Path.of(file);
        if (p.isAbsolute() || gatewayHome == null || gatewayHome.isBlank()) {
            return p.toAbsolutePath().normalize();
        }
        return Path.of(gatewayHome).resolve(p).normalize();
    }
}
