package io.edgegateway.rules.support;

import java.math.BigDecimal;
import java.math.MathContext;

/** Number formatting for detection messages (only called when a detection is raised). */
public final class Numbers {

    private static final MathContext SIX_DIGITS = new MathContext(6);

    private Numbers() {
    }

    /** At most six significant digits, always with a decimal point: 80 -> "80.0", 93.41234567 -> "93.4123". */
    public static String format(double value) {
        if (!Double.isFinite(value)) {
            return Double.toString(value);
        }
        String text = new BigDecimal(value).round(SIX_DIGITS).stripTrailingZeros().toPlainString();
        return text.indexOf('.') < 0 ? text + ".0" : text;
    }

    /** A value with its unit, e.g. "80.0 degC", or just the number when the unit is empty. */
    public static String withUnit(double value, String unit) {
        return unit == null || unit.isEmpty() ? format(value) : format(value) + " " + unit;
    }
}
