package io.edgegateway.api;

/**
 * What an alert says about an alarm (since 1.3). Most detectors report events: one alert per excursion. A detector
 * that holds an alarm state (ISA-18.2 style, e.g. an asset health model) reports the alarm's raise and its clear,
 * so an operator sees "pump-3 abnormal since 14:02" and then "back to normal after 38 min".
 *
 * @since 1.3
 */
public enum AlertState {
    /** A one-off detection: the alert is the whole story (all detectors before 1.3). */
    EVENT,
    /** An alarm became active; it stays active until an alert of the same asset and detector says CLEARED. */
    RAISED,
    /** The alarm is no longer active: the asset is back to normal. Not explained. */
    CLEARED
}
