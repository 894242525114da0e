package io.edgegateway.testbed.nab;

import java.time.DateTimeException;
import java.time.LocalDateTime;

/** Parses NAB timestamps, {@code YYYY-MM-DD HH:MM:SS} with an optional fraction of a second (as in the labels). */
public final class Timestamps {

    private Timestamps() {
    }

    /** @throws NabException if {@code text} is not such a timestamp */
    public static LocalDateTime parse(String text) {
        String s = text.trim();
        if (s.length() >= 19 && s.charAt(4) == '-' && s.charAt(7) == '-'
                && (s.charAt(10) == ' ' || s.charAt(10) == 'T') && s.charAt(13) == ':' && s.charAt(16) == ':') {
            int year = digits(s, 0, 4);
            int month = digits(s, 5, 7);
            int day = digits(s, 8, 10);
            int hour = digits(s, 11, 13);
            int minute = digits(s, 14, 16);
            int second = digits(s, 17, 19);
            int nanos = 0;
            boolean ok = year >= 0 && month >= 0 && day >= 0 && hour >= 0 && minute >= 0 && second >= 0;
            if (ok && s.length() > 19) {
                ok = s.charAt(19) == '.' && s.length() > 20 && s.length() <= 29;
                if (ok) {
                    int fraction = digits(s, 20, s.length());
                    ok = fraction >= 0;
                    nanos = fraction;
                    for (int i = s.length() - 20; i < 9; i++) {
                        nanos *= 10;
                    }
                }
            }
            if (ok) {
                try {
                    return LocalDateTime.of(year, month, day, hour, minute, second, nanos);
                } catch (DateTimeException e) {
                    throw new NabException("not a valid timestamp: '" + text + "' (" + e.getMessage() + ")", e);
                }
            }
        }
        throw new NabException("not a timestamp of the form YYYY-MM-DD HH:MM:SS: '" + text + "'");
    }

    private static int digits(String s, int from, int to) {
        int value = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }
}
