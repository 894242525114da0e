package io.edgegateway.connector.opcua.internal;

import java.nio.file.Path;
import java.security.cert.PKIXCertPathBuilderResult;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

import org.eclipse.milo.opcua.stack.core.StatusCodes;
import org.eclipse.milo.opcua.stack.core.UaException;
import org.eclipse.milo.opcua.stack.core.security.CertificateValidator;
import org.eclipse.milo.opcua.stack.core.util.validation.CertificateValidationUtil;
import org.eclipse.milo.opcua.stack.core.util.validation.ValidationCheck;

/**
 * Validates a server's certificate chain against the certificates in {@code <pki>/trusted/}, read again on every
 * call (so a certificate moved there is trusted at the next connection attempt). A chain that is not trusted is
 * written to {@code <pki>/rejected/} and reported, with the file and the folder to move it to, to {@code onReject}
 * and in the exception. Validity period, key usage and signatures are checked by Milo's validation utilities;
 * a mismatching host name or application URI is accepted (servers behind NAT or with rewritten endpoints).
 */
final class TrustListValidator implements CertificateValidator {

    private final Pki pki;
    private final Consumer<String> onReject;

    TrustListValidator(Pki pki, Consumer<String> onReject) {
        this.pki = pki;
        this.onReject = onReject;
    }

    @Override
    public void validateCertificateChain(List<X509Certificate> chain, String applicationUri, String[] hostNames)
            throws UaException {
        if (chain == null || chain.isEmpty()) {
            throw new UaException(StatusCodes.Bad_SecurityChecksFailed, "the server sent no certificate");
        }
        List<String> problems = new ArrayList<>();
        List<X509Certificate> trusted = pki.trustedCertificates(problems);
        PKIXCertPathBuilderResult path;
        try {
            path = CertificateValidationUtil.buildTrustedCertPath(chain, trusted, trusted);
        } catch (UaException e) {
            String message = untrustedMessage(chain.get(0), problems);
            onReject.accept(message);
            throw new UaException(StatusCodes.Bad_SecurityChecksFailed, message);
        }
        CertificateValidationUtil.validateTrustedCertPath(path.getCertPath(), path.getTrustAnchor(), List.of(),
                ValidationCheck.NO_OPTIONAL_CHECKS, false);
    }

    private String untrustedMessage(X509Certificate cert, List<String> problems) {
        String subject = cert.getSubjectX500Principal().getName();
        StringBuilder m = new StringBuilder("the server certificate '").append(subject).append("' is not trusted");
        try {
            Path file = pki.reject(cert);
            m.append(": saved it as ").append(file).append("; to trust it, move that file to ")
                    .append(pki.trusted()).append("/ (the next connection attempt uses it, no restart needed)");
        } catch (Exception e) {
            m.append(" and could not be saved to ").append(pki.rejected()).append(" (").append(e.getMessage())
                    .append("); put the server's certificate into ").append(pki.trusted()).append("/ to trust it");
        }
        if (!problems.isEmpty()) {
            m.append("; unreadable files in the trust list: ").append(problems);
        }
        return m.toString();
    }
}
