package io.edgegateway.management.internal.deploy;

import java.io.IOException;
import java.nio.file.Path;
import java.util.jar.Attributes;
import java.util.jar.JarFile;
import java.util.jar.Manifest;
import java.util.zip.ZipException;

import org.osgi.framework.Constants;
import org.osgi.framework.Version;

/**
 * What an artifact says it is, from its manifest.
 *
 * @param symbolicName {@code Bundle-SymbolicName} without directives
 * @param version      {@code Bundle-Version} (0.0.0 when absent)
 */
record BundleFacts(String symbolicName, String version) {

    /** Reads the manifest; a file that is not an OSGi bundle gives the reason why. */
    static BundleFacts read(Path jar) throws NotABundleException {
        Manifest m;
        try (JarFile f = new JarFile(jar.toFile())) {
            m = f.getManifest();
        } catch (ZipException e) {
            throw new NotABundleException(jar.getFileName() + " is not a jar (" + e.getMessage() + ")");
        } catch (IOException e) {
            throw new NotABundleException("cannot read " + jar.getFileName() + ": " + e.getMessage());
        }
        if (m == null) {
            throw new NotABundleException(jar.getFileName() + " has no META-INF/MANIFEST.MF: not an OSGi bundle");
        }
        Attributes a = m.getMainAttributes();
        String bsn = a.getValue(Constants.BUNDLE_SYMBOLICNAME);
        if (bsn == null || bsn.isBlank()) {
            throw new NotABundleException(jar.getFileName() + " has no Bundle-SymbolicName: not an OSGi bundle");
        }
        int semi = bsn.indexOf(';');
        String name = (semi < 0 ? bsn : bsn.substring(0, semi)).trim();
        String v = a.getValue(Constants.BUNDLE_VERSION);
        try {
            return new BundleFacts(name, v == null ? Version.emptyVersion.toString() : Version.parseVersion(v.trim())
                    .toString());
        } catch (IllegalArgumentException e) {
            throw new NotABundleException(jar.getFileName() + ": Bundle-Version '" + v + "' is not an OSGi version");
        }
    }

    @Override
    public String toString() {
        return symbolicName + " " + version;
    }

    static final class NotABundleException extends Exception {
        private static final long serialVersionUID = 1L;

        NotABundleException(String message) {
            super(message);
        }
    }
}
