package io.edgegateway.testbed.bench;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.atomic.LongAdder;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttException;

/**
 * The saturation load: one thread per MQTT connection, each publishing QoS 0 readings of its own assets as fast as
 * the client and the broker take them.
 */
final class FloodLoad implements AutoCloseable {

    private final List<MqttClient> clients = new ArrayList<>();
    private final List<Thread> threads = new ArrayList<>();
    private final LongAdder published = new LongAdder();
    private final AtomicReference<Throwable> failure = new AtomicReference<>();
    private final int batch;
    private volatile boolean running;

    /** @param batch samples per MQTT message: 1 sends single JSON objects, more sends JSON arrays (batches) */
    FloodLoad(String brokerUrl, int publishers, String name, int batch) throws MqttException {
        this.batch = batch;
        try {
            for (int i = 0; i < publishers; i++) {
                clients.add(Mqtt.connect(brokerUrl, name + "-" + i));
            }
        } catch (MqttException e) {
            close();
            throw e;
        }
    }

    /** Starts the publisher threads; {@link #published()} counts samples from here. */
    void start() {
        published.reset();
        running = true;
        for (int i = 0; i < clients.size(); i++) {
            MqttClient client = clients.get(i);
            List<Samples.Channel> channels = Samples.channelsOf(i, clients.size());
            Random random = new Random(i * 7919L + 17);
            Thread t = new Thread(() -> {
                int n = 0;
                try {
                    while (running) {
                        Samples.Channel c = channels.get(n);
                        n = n + 1 == channels.size() ? 0 : n + 1;
                        byte[] payload = batch == 1 ? Samples.reading(c, random) : Samples.readings(c, random, batch);
                        client.publish(c.topic(), payload, 0, false);
                        published.add(batch);
                    }
                } catch (MqttException e) {
                    if (running) {
                        failure.compareAndSet(null, e);
                    }
                }
            }, "bench-flood-" + i);
            t.setDaemon(true);
            threads.add(t);
            t.start();
        }
    }

    long published() {
        return published.sum();
    }

    /** Stops the publishers and waits for them; throws if one of them failed. */
    void stop() throws InterruptedException {
        running = false;
        for (Thread t : threads) {
            t.join(30_000);
        }
        threads.clear();
        Throwable f = failure.get();
        if (f != null) {
            throw new IllegalStateException("a load publisher failed: " + f, f);
        }
    }

    @Override
    public void close() {
        running = false;
        for (MqttClient c : clients) {
            Mqtt.closeQuietly(c);
        }
        clients.clear();
    }
}
