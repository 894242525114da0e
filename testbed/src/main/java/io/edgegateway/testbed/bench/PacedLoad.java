package io.edgegateway.testbed.bench;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;

import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttException;

/**
 * The latency load, paced on a nanoTime schedule: every millisecond the calling thread publishes the background
 * readings that are due ({@code rate - 100} per second) and the probes that are due (100 per second, one every
 * 10 ms, alternating {@value Samples#PROBE_HIGH} and {@value Samples#PROBE_LOW}), all QoS 0. Each probe's source
 * time is unique and remembered with the nanoTime just before its publish.
 */
final class PacedLoad {

    static final int PROBE_RATE = 100;
    private static final long PROBE_PERIOD_NANOS = TimeUnit.SECONDS.toNanos(1) / PROBE_RATE;
    private static final long TICK_NANOS = TimeUnit.MILLISECONDS.toNanos(1);

    /**
     * What was published in the measured window (after the warm-up).
     *
     * @param publishNanosByTs probe source time (epoch ms) to nanoTime at publish, measured probes only
     * @param highProbes       measured probes with the high value (each should raise one alert)
     * @param achievedRate     messages (background and probes) per second actually published in the window
     */
    record Result(Map<Long, Long> publishNanosByTs, int highProbes, long published, double achievedRate) {
    }

    private PacedLoad() {
    }

    static Result run(MqttClient background, MqttClient probes, Samples samples, int rate, long warmupNanos,
                      long durationNanos) throws MqttException {
        int backgroundRate = Math.max(0, rate - PROBE_RATE);
        List<Samples.Channel> channels = Samples.channels();
        Random random = new Random(42);
        Map<Long, Long> publishNanosByTs = new HashMap<>();
        long start = System.nanoTime();
        long measureFrom = start + warmupNanos;
        long end = measureFrom + durationNanos;
        long probesSent = 0;
        long backgroundSent = 0;
        int highProbes = 0;
        long countAtMeasure = -1;
        long nanosAtMeasure = 0;
        int next = 0;
        while (true) {
            long now = System.nanoTime();
            if (now >= end) {
                break;
            }
            if (countAtMeasure < 0 && now >= measureFrom) {
                countAtMeasure = probesSent + backgroundSent;
                nanosAtMeasure = now;
            }
            long elapsed = now - start;
            long probesDue = elapsed / PROBE_PERIOD_NANOS + 1;
            while (probesSent < probesDue) {
                boolean high = probesSent % 2 == 0;
                long ts = samples.nextProbeTs();
                byte[] payload = Samples.probe(high ? Samples.PROBE_HIGH : Samples.PROBE_LOW, ts);
                long t = System.nanoTime();
                probes.publish(Samples.PROBE_TOPIC, payload, 0, false);
                if (t >= measureFrom && t < end) {
                    publishNanosByTs.put(ts, t);
                    if (high) {
                        highProbes++;
                    }
                }
                probesSent++;
            }
            long backgroundDue = (long) ((double) backgroundRate * elapsed / 1e9);
            while (backgroundSent < backgroundDue) {
                Samples.Channel c = channels.get(next);
                next = next + 1 == channels.size() ? 0 : next + 1;
                background.publish(c.topic(), Samples.reading(c, random), 0, false);
                backgroundSent++;
            }
            long wake = start + (elapsed / TICK_NANOS + 1) * TICK_NANOS;
            long sleep = wake - System.nanoTime();
            if (sleep > 0) {
                LockSupport.parkNanos(sleep);
            }
        }
        long stop = System.nanoTime();
        long total = probesSent + backgroundSent;
        if (countAtMeasure < 0) {
            countAtMeasure = total;
            nanosAtMeasure = stop;
        }
        double seconds = (stop - nanosAtMeasure) / 1e9;
        double achieved = seconds > 0 ? (total - countAtMeasure) / seconds : Double.NaN;
        return new Result(publishNanosByTs, highProbes, total - countAtMeasure, achieved);
    }
}
