package io.edgegateway.rules.support;

/**
 * A detector setting has a value the detector cannot work with. The message names the setting and its value,
 * e.g. {@code setting 'alpha' = 1.5 must be in (0, 1]}; the DS components prefix it with their configuration PID.
 */
public final class InvalidSettingException extends IllegalArgumentException {

    private static final long serialVersionUID = 1L;

    private final String setting;

    public InvalidSettingException(String setting, Object value, String requirement) {
        super("setting '" + setting + "' = " + value + " " + requirement);
        this.setting = setting;
    }

    /** The configuration key, e.g. {@code z.rearm}. */
    public String setting() {
        return setting;
    }

    /** The same problem with the configuration PID in front, as thrown from a component's activation. */
    public IllegalArgumentException forPid(String pid) {
        return new IllegalArgumentException(pid + ": " + getMessage(), this);
    }
}
