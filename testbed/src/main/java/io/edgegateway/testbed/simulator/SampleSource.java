package io.edgegateway.testbed.simulator;

import java.time.Instant;
import java.util.List;

/**
 * What {@link MqttPlantPublisher} publishes: a source of samples ticked at a fixed period from one thread (the
 * plant simulator, or a C-MAPSS engine replay).
 */
public interface SampleSource {

    /** Asset ids, in order. */
    List<String> assets();

    /** Samples one tick returns at most (sizes the MQTT in-flight window). */
    int samplesPerTick();

    /** Time between ticks. */
    long periodMicros();

    /** The next tick's samples, stamped {@code now}. */
    List<SimSample> tick(Instant now);
}
