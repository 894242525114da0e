package io.edgegateway.connector.opcua.internal;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;

import io.edgegateway.api.Quality;
import io.edgegateway.api.TelemetrySample;

/**
 * Marks a data gap instead of leaving it silent: when the session or the subscription is lost, each monitored item
 * that has delivered a value gets exactly one {@link Quality#BAD} sample, however many loss events (session
 * inactive, transfer failed, watchdog, bad subscription status) report the same outage; the item's next value that
 * is not BAD ends its gap.
 *
 * <p>Why BAD and not UNCERTAIN: a lost connection is what OPC UA itself reports as {@code Bad_NoCommunication}, and
 * detectors never evaluate BAD samples (UNCERTAIN ones are evaluated by rules configured with
 * {@code min.quality=UNCERTAIN}, where a repeated value could look like a stuck sensor). The value is the item's
 * last value, so it is finite and nothing downstream has to handle NaN (NaN only for an item that never had a value
 * that was not BAD); the quality says it is not a measurement.
 *
 * <p>Thread-safe: values arrive on Milo's delivery thread, losses on Milo's and the scheduler's threads.
 */
final class GapMarker {

    private static final class Item {
        final String asset;
        final String signal;
        final String unit;
        double last = Double.NaN;
        boolean inGap;

        Item(String asset, String signal, String unit) {
            this.asset = asset;
            this.signal = signal;
            this.unit = unit;
        }
    }

    private final String sourceId;
    private final Map<String, Item> items = new ConcurrentHashMap<>();
    private final AtomicLong marked = new AtomicLong();
    private final AtomicLong ended = new AtomicLong();

    GapMarker(String sourceId) {
        this.sourceId = sourceId;
    }

    /**
     * A value arrived for an item (any quality); a value that is not BAD ends the item's gap, unless it arrives while
     * the session is down ({@code sessionUp} false): Milo's delivery thread can hand over the last values received
     * before the loss after the session event that opened the gap, and those must not end it (the next loss event of
     * the same outage would mark it twice).
     */
    void onValue(String asset, String signal, String unit, double value, Quality quality, boolean sessionUp) {
        Item item = items.computeIfAbsent(asset + "/" + signal, k -> new Item(asset, signal, unit));
        synchronized (item) {
            if (quality != Quality.BAD) {
                if (Double.isFinite(value)) {
                    item.last = value;
                }
                if (item.inGap && sessionUp) {
                    item.inGap = false;
                    ended.incrementAndGet();
                }
            }
        }
    }

    /**
     * The session or subscription is lost: one BAD sample for each item that is not in a gap already (the last
     * value, stamped {@code now}); empty when the outage is already marked.
     */
    List<TelemetrySample> open(Instant now) {
        List<TelemetrySample> marks = new ArrayList<>();
        for (Item item : items.values()) {
            synchronized (item) {
                if (item.inGap) {
                    continue;
                }
                item.inGap = true;
                marks.add(new TelemetrySample(item.asset, item.signal, item.last, item.unit, Quality.BAD, now, now,
                        sourceId));
            }
        }
        marked.addAndGet(marks.size());
        return marks;
    }

    /** The item is no longer monitored (its node is gone): no gap mark for it any more. */
    void forget(String asset, String signal) {
        items.remove(asset + "/" + signal);
    }

    /** Gap marks (BAD samples) produced since start. */
    long marked() {
        return marked.get();
    }

    /** Gaps that a value ended since start. */
    long ended() {
        return ended.get();
    }

    /** Items in a gap now. */
    int open() {
        int n = 0;
        for (Item item : items.values()) {
            synchronized (item) {
                n += item.inGap ? 1 : 0;
            }
        }
        return n;
    }
}
