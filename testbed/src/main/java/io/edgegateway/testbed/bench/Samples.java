package io.edgegateway.testbed.bench;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The telemetry the benchmark publishes: a plant of {@value #ASSETS} assets with {@value #SIGNALS_PER_ASSET}
 * signals each (values around their nominal with Gaussian noise), and the latency probe
 * {@code plant/bench-probe/latency} whose source times are unique and strictly increasing.
 */
final class Samples {

    static final int ASSETS = 50;
    static final int SIGNALS_PER_ASSET = 4;
    static final String PROBE_ASSET = "bench-probe";
    static final String PROBE_SIGNAL = "latency";
    static final String PROBE_TOPIC = "plant/" + PROBE_ASSET + "/" + PROBE_SIGNAL;
    /** Probe value above the bench rule's high limit (80): raises an alert. */
    static final double PROBE_HIGH = 90;
    /** Probe value below high - hysteresis: re-arms the rule. */
    static final double PROBE_LOW = 60;

    private static final String[][] SIGNALS = {
        {"temperature", "degC", "50"}, {"pressure", "bar", "50"}, {"flow", "m3/h", "50"}, {"current", "A", "50"}};

    /** One signal of the simulated plant. */
    record Channel(String topic, String asset, String signal, String unit, double nominal) {
    }

    private static final List<Channel> CHANNELS = new ArrayList<>();

    static {
        for (int a = 0; a < ASSETS; a++) {
            String asset = String.format("bench-m%02d", a);
            for (String[] s : SIGNALS) {
                CHANNELS.add(new Channel("plant/" + asset + "/" + s[0], asset, s[0], s[1], Double.parseDouble(s[2])));
            }
        }
    }

    private long lastProbeTs;

    /** All channels (assets x signals), asset-major. */
    static List<Channel> channels() {
        return CHANNELS;
    }

    /** The channels of publisher {@code index} of {@code count}: distinct assets for each publisher. */
    static List<Channel> channelsOf(int index, int count) {
        List<Channel> out = new ArrayList<>();
        for (int i = 0; i < CHANNELS.size(); i++) {
            if ((i / SIGNALS_PER_ASSET) % count == index) {
                out.add(CHANNELS.get(i));
            }
        }
        return out.isEmpty() ? CHANNELS : out;
    }

    /** A realistic reading of {@code c} now: nominal with noise (sigma 1.5). */
    static byte[] reading(Channel c, Random random) {
        double v = c.nominal() + random.nextGaussian() * 1.5;
        return json(c.asset(), c.signal(), v, c.unit(), System.currentTimeMillis());
    }

    /** A batch: a JSON array of {@code count} readings of {@code c}, as gateways with many tags often receive. */
    static byte[] readings(Channel c, Random random, int count) {
        StringBuilder sb = new StringBuilder(count * 96).append('[');
        long ts = System.currentTimeMillis();
        for (int i = 0; i < count; i++) {
            double v = Math.round((c.nominal() + random.nextGaussian() * 1.5) * 1000) / 1000.0;
            sb.append(i == 0 ? "" : ",").append("{\"asset\":\"").append(c.asset()).append("\",\"signal\":\"")
                    .append(c.signal()).append("\",\"value\":").append(v).append(",\"unit\":\"").append(c.unit())
                    .append("\",\"ts\":").append(ts).append('}');
        }
        return sb.append(']').toString().getBytes(StandardCharsets.UTF_8);
    }

    static byte[] json(String asset, String signal, double value, String unit, long ts) {
        double rounded = Math.round(value * 1000) / 1000.0;
        String s = "{\"asset\":\"" + asset + "\",\"signal\":\"" + signal + "\",\"value\":" + rounded
                + ",\"unit\":\"" + unit + "\",\"ts\":" + ts + "}";
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** A source time for a probe: now in epoch ms, strictly greater than every one handed out before. */
    synchronized long nextProbeTs() {
        lastProbeTs = Math.max(System.currentTimeMillis(), lastProbeTs + 1);
        return lastProbeTs;
    }

    static byte[] probe(double value, long ts) {
        return json(PROBE_ASSET, PROBE_SIGNAL, value, "ms", ts);
    }

    /** The {@code ts} of a sample this class wrote; -1 if there is none. */
    static long tsOf(byte[] payload) {
        String s = new String(payload, StandardCharsets.UTF_8);
        int i = s.indexOf("\"ts\":");
        if (i < 0) {
            return -1;
        }
        int start = i + 5;
        int end = start;
        while (end < s.length() && Character.isDigit(s.charAt(end))) {
            end++;
        }
        return end > start ? Long.parseLong(s.substring(start, end)) : -1;
    }
}
