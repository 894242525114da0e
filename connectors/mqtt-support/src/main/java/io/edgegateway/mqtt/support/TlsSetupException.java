package io.edgegateway.mqtt.support;

import java.nio.file.Path;

/** A TLS file that cannot be used; the message names the setting, the file and the cause. */
public final class TlsSetupException extends Exception {

    private static final long serialVersionUID = 1L;

    private final String setting;
    private final transient Path file;

    public TlsSetupException(String setting, Path file, String why) {
        this(setting, file, why, null);
    }

    public TlsSetupException(String setting, Path file, String why, Throwable cause) {
        super("setting '" + setting + "' = '" + file + "' " + why, cause);
        this.setting = setting;
        this.file = file;
    }

    public String setting() {
        return setting;
    }

    public Path file() {
        return file;
    }
}
