package io.edgegateway.testbed.opcua;

import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import io.edgegateway.testbed.simulator.MqttPlantPublisher;
import io.edgegateway.testbed.simulator.SampleSource;
import io.edgegateway.testbed.simulator.SimSample;

/**
 * The samples a {@link PlantOpcUaServer} serves, as a {@link SampleSource} for an {@link MqttPlantPublisher}: the
 * same plant over OPC UA and MQTT, one simulator. The server's ticker hands each tick's samples over; the
 * publisher's tick (at the same period) takes all that arrived since, so nothing is simulated twice and nothing is
 * lost while both run. Bounded: while the publisher does not take them (not connected yet), the oldest beyond
 * {@code capacity} are dropped and counted.
 */
public final class ServedSamples implements SampleSource {

    private final PlantOpcUaServer server;
    private final int capacity;
    private final ArrayDeque<SimSample> queue = new ArrayDeque<>();
    private final AtomicLong dropped = new AtomicLong();

    /** Listens to {@code server}'s samples, keeping at most {@code capacity} not yet taken. */
    public ServedSamples(PlantOpcUaServer server, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be >= 1: " + capacity);
        }
        this.server = server;
        this.capacity = capacity;
        server.onSamples(this::offer);
    }

    private synchronized void offer(List<SimSample> samples) {
        queue.addAll(samples);
        while (queue.size() > capacity) {
            queue.pollFirst();
            dropped.incrementAndGet();
        }
    }

    /** Everything the server served since the last call; {@code now} is not used (the samples keep their time). */
    @Override
    public synchronized List<SimSample> tick(Instant now) {
        List<SimSample> out = new ArrayList<>(queue);
        queue.clear();
        return out;
    }

    @Override
    public List<String> assets() {
        return server.servedAssets();
    }

    @Override
    public int samplesPerTick() {
        return server.variableCount();
    }

    @Override
    public long periodMicros() {
        return server.periodMicros();
    }

    /** Samples dropped because nobody took them in time. */
    public long dropped() {
        return dropped.get();
    }
}
