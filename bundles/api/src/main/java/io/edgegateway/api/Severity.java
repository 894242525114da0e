package io.edgegateway.api;

/** How urgent an alert is. Ordered from least to most severe. */
public enum Severity {
    INFO,
    WARNING,
    CRITICAL
}
