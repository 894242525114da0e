package io.edgegateway.api;

import org.osgi.annotation.versioning.ConsumerType;

/** Receives every explanation. Same threading rule as {@link AlertSink}: never block. */
@ConsumerType
public interface ExplanationSink {

    void onExplanation(Explanation explanation);
}
