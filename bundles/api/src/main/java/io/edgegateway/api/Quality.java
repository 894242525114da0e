package io.edgegateway.api;

/** Quality of a measurement as the source reported it (OPC UA status codes and MQTT payload flags map onto it). */
public enum Quality {
    /** A trustworthy value. Detectors evaluate only these unless they say otherwise. */
    GOOD,
    /** The source delivered a value but doubts it (sensor out of calibration, last usable value). */
    UNCERTAIN,
    /** No usable value (sensor failure, communication loss); the value may be NaN. */
    BAD
}
