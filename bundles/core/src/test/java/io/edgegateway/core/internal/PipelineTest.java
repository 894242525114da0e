package io.edgegateway.core.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

import io.edgegateway.api.Alert;
import io.edgegateway.api.AlertState;
import io.edgegateway.api.Contribution;
import io.edgegateway.api.Detection;
import io.edgegateway.api.Detector;
import io.edgegateway.api.Explanation;
import io.edgegateway.api.MetricsSnapshot;
import io.edgegateway.api.Quality;
import io.edgegateway.api.RejectReason;
import io.edgegateway.api.Severity;
import io.edgegateway.api.SignalDetector;
import io.edgegateway.api.TelemetrySample;

class PipelineTest {

    private final PipelineWiring wiring = new PipelineWiring();
    private final List<Alert> alerts = new CopyOnWriteArrayList<>();
    private Pipeline pipeline;

    private Pipeline start(int capacity, int workers, Pipeline.Backpressure backpressure) {
        wiring.alertSinks.add(alerts::add);
        pipeline = new Pipeline(new Pipeline.Settings(capacity, workers, backpressure, 1000), wiring);
        pipeline.start();
        return pipeline;
    }

    @AfterEach
    void stop() {
        if (pipeline != null) {
            pipeline.stop(2000);
        }
    }

    private static TelemetrySample sample(String asset, String signal, double value) {
        Instant now = Instant.now();
        return new TelemetrySample(asset, signal, value, "degC", Quality.GOOD, now, now, "test");
    }

    /** Counts samples per signal and fires when a value exceeds a limit: enough to see routing and state. */
    private static Detector above(double limit) {
        return key -> new SignalDetector() {
            int seen;

            @Override
            public Detection update(TelemetrySample s) {
                seen++;
                return s.value() > limit ? new Detection(Severity.WARNING, s.value() - limit, limit,
                        "seen " + seen) : null;
            }
        };
    }

    private void awaitEvaluated(long n) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (pipeline.snapshot().evaluated() < n && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(pipeline.snapshot().evaluated()).isEqualTo(n);
    }

    @Test
    void routesByGlobAndKeepsStatePerSignal() throws Exception {
        start(100, 2, Pipeline.Backpressure.BLOCK);
        wiring.addDetector(new DetectorBinding(above(10), "limit", "1.0.0", Glob.of("pump-*"), Glob.of("temp")));

        pipeline.offer(sample("pump-1", "temp", 5));
        pipeline.offer(sample("pump-1", "temp", 50));
        pipeline.offer(sample("pump-2", "temp", 60));
        pipeline.offer(sample("motor-1", "temp", 70)); // asset does not match
        pipeline.offer(sample("pump-1", "flow", 80)); // signal does not match
        awaitEvaluated(5);

        assertThat(alerts).extracting(Alert::assetId, Alert::message, Alert::detector, Alert::detectorVersion)
                .containsExactlyInAnyOrder(
                        org.assertj.core.groups.Tuple.tuple("pump-1", "seen 2", "limit", "1.0.0"),
                        org.assertj.core.groups.Tuple.tuple("pump-2", "seen 1", "limit", "1.0.0"));
        Alert a = alerts.stream().filter(x -> x.assetId().equals("pump-1")).findFirst().orElseThrow();
        assertThat(a.value()).isEqualTo(50);
        assertThat(a.baseline()).isEqualTo(10);
        assertThat(a.unit()).isEqualTo("degC");
        MetricsSnapshot m = pipeline.snapshot();
        assertThat(m.accepted()).isEqualTo(5);
        assertThat(m.alerts()).isEqualTo(2);
        assertThat(m.signals()).isEqualTo(4);
    }

    @Test
    void replacingOneDetectorResetsOnlyItsState() throws Exception {
        start(100, 1, Pipeline.Backpressure.BLOCK);
        DetectorBinding a = new DetectorBinding(above(10), "a", "1", Glob.of("*"), Glob.of("*"));
        DetectorBinding b = new DetectorBinding(above(10), "b", "1", Glob.of("*"), Glob.of("*"));
        wiring.addDetector(a);
        wiring.addDetector(b);
        pipeline.offer(sample("p", "s", 1));
        pipeline.offer(sample("p", "s", 1));
        awaitEvaluated(2);
        DetectorBinding a2 = new DetectorBinding(above(0), "a", "2", Glob.of("*"), Glob.of("*"));
        wiring.replaceDetector(a, a2);
        pipeline.offer(sample("p", "s", 20));
        awaitEvaluated(3);

        // a2 is new (first sample it sees), b kept its count (third sample)
        assertThat(alerts).extracting(Alert::detector, Alert::message, Alert::detectorVersion)
                .containsExactlyInAnyOrder(org.assertj.core.groups.Tuple.tuple("a", "seen 1", "2"),
                        org.assertj.core.groups.Tuple.tuple("b", "seen 3", "1"));
    }

    @Test
    void aFailingDetectorDoesNotStopOthers() throws Exception {
        start(100, 1, Pipeline.Backpressure.BLOCK);
        wiring.addDetector(new DetectorBinding(key -> s -> {
            throw new IllegalStateException("boom");
        }, "broken", "1", Glob.of("*"), Glob.of("*")));
        wiring.addDetector(new DetectorBinding(above(0), "ok", "1", Glob.of("*"), Glob.of("*")));
        pipeline.offer(sample("p", "s", 1));
        awaitEvaluated(1);
        assertThat(alerts).extracting(Alert::detector).containsExactly("ok");
        assertThat(pipeline.detectorErrors()).isEqualTo(1);
    }

    @Test
    void dropNewestCountsWhatItDrops() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        start(2, 1, Pipeline.Backpressure.DROP_NEWEST);
        wiring.addDetector(new DetectorBinding(key -> s -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return null;
        }, "slow", "1", Glob.of("*"), Glob.of("*")));
        int accepted = 0;
        for (int i = 0; i < 10; i++) {
            if (pipeline.offer(sample("p", "s", i))) {
                accepted++;
            }
        }
        release.countDown();
        MetricsSnapshot m = pipeline.snapshot();
        assertThat(accepted).isBetween(2, 3); // the queue holds 2, the worker may hold one more
        assertThat(m.rejected().get("queue_full")).isEqualTo(10L - accepted);
        assertThat(m.accepted() + m.rejectedTotal()).isEqualTo(m.received());
        awaitEvaluated(accepted);
    }

    @Test
    void blockLosesNothingAndStopDrainsTheQueue() throws Exception {
        start(4, 2, Pipeline.Backpressure.BLOCK);
        wiring.addDetector(new DetectorBinding(above(1e9), "none", "1", Glob.of("*"), Glob.of("*")));
        for (int i = 0; i < 5000; i++) {
            assertThat(pipeline.offer(sample("asset-" + (i % 7), "s", i))).isTrue();
        }
        pipeline.stop(5000);
        MetricsSnapshot m = pipeline.snapshot();
        pipeline = null;
        assertThat(m.accepted()).isEqualTo(5000);
        assertThat(m.evaluated()).isEqualTo(5000);
        assertThat(m.rejectedTotal()).isZero();
    }

    @Test
    void sourceRejectsAreCountedPerReason() {
        start(10, 1, Pipeline.Backpressure.BLOCK);
        pipeline.reject("mqtt:x", RejectReason.MALFORMED_PAYLOAD, "not json");
        pipeline.reject("mqtt:x", RejectReason.MALFORMED_PAYLOAD, "not json");
        pipeline.reject("mqtt:x", RejectReason.UNKNOWN_TOPIC, "a/b");
        MetricsSnapshot m = pipeline.snapshot();
        assertThat(m.rejected()).containsEntry("malformed_payload", 2L).containsEntry("unknown_topic", 1L);
        assertThat(m.received()).isEqualTo(3);
    }

    @Test
    void anAssetLevelDetectionNamesItsSignalAndAClearIsNotExplained() throws Exception {
        start(10, 1, Pipeline.Backpressure.BLOCK);
        List<Alert> explained = new CopyOnWriteArrayList<>();
        wiring.setExplainer((alert, context) -> {
            explained.add(alert);
            return new CompletableFuture<>();
        });
        Instant since = Instant.parse("2024-05-01T12:00:00Z");
        List<Contribution> contributions = List.of(new Contribution("vibration", 3.0, 2.5, 1.0));
        // fires on every 'flow' sample: raised naming 'vibration' when flow > 10, cleared otherwise
        wiring.addDetector(new DetectorBinding(key -> s -> s.value() > 10
                ? new Detection(Severity.WARNING, 2, 1, "abnormal", "vibration", AlertState.RAISED, since,
                        contributions)
                : new Detection(Severity.INFO, 0.5, 1, "back to normal", "vibration", AlertState.CLEARED, since,
                        List.of()), "health", "1", Glob.of("*"), Glob.of("flow")));
        pipeline.offer(sample("p", "vibration", 4.5));
        pipeline.offer(sample("p", "flow", 30));
        pipeline.offer(sample("p", "flow", 3));
        awaitEvaluated(3);
        assertThat(alerts).hasSize(2);
        Alert raised = alerts.get(0);
        assertThat(raised.signal()).isEqualTo("vibration");
        assertThat(raised.value()).isEqualTo(4.5); // the named signal's latest value, not the flow sample's
        assertThat(raised.state()).isEqualTo(AlertState.RAISED);
        assertThat(raised.activeSince()).isEqualTo(since);
        assertThat(raised.contributions()).isEqualTo(contributions);
        assertThat(alerts.get(1).state()).isEqualTo(AlertState.CLEARED);
        Thread.sleep(50);
        assertThat(explained).extracting(Alert::alertId).containsExactly(raised.alertId());
    }

    @Test
    void explanationFollowsTheAlertWithAssetContext() throws Exception {
        start(10, 1, Pipeline.Backpressure.BLOCK);
        List<Explanation> explanations = new CopyOnWriteArrayList<>();
        wiring.explanationSinks.add(explanations::add);
        wiring.addDetector(new DetectorBinding(above(10), "limit", "1", Glob.of("*"), Glob.of("temp")));
        wiring.setExplainer((alert, context) -> CompletableFuture.supplyAsync(() -> new Explanation(
                alert.alertId(), alert.assetId(), "signals known: " + context.latestSamples().keySet().stream()
                        .sorted().toList(), "cause", "action", Severity.WARNING, Explanation.SOURCE_TEMPLATE,
                "", "", 1.0, Instant.now())));
        pipeline.offer(sample("p", "current", 3));
        pipeline.offer(sample("p", "temp", 30));
        awaitEvaluated(2);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (explanations.isEmpty() && System.nanoTime() < deadline) {
            Thread.sleep(5);
        }
        assertThat(explanations).hasSize(1);
        assertThat(explanations.get(0).alertId()).isEqualTo(alerts.get(0).alertId());
        assertThat(explanations.get(0).text()).isEqualTo("signals known: [current, temp]");
    }

    @Test
    void aStuckExplainerHoldsAtMostMaxPendingRequestsAndAlertsKeepFlowing() throws Exception {
        wiring.alertSinks.add(alerts::add);
        pipeline = new Pipeline(new Pipeline.Settings(100, 1, Pipeline.Backpressure.BLOCK, 1000, 5), wiring);
        pipeline.start();
        List<CompletableFuture<Explanation>> pending = new CopyOnWriteArrayList<>();
        List<Explanation> explanations = new CopyOnWriteArrayList<>();
        wiring.explanationSinks.add(explanations::add);
        wiring.addDetector(new DetectorBinding(above(10), "limit", "1", Glob.of("*"), Glob.of("temp")));
        wiring.setExplainer((alert, context) -> {
            CompletableFuture<Explanation> f = new CompletableFuture<>();
            pending.add(f); // never answered until the test says so
            return f;
        });
        for (int i = 0; i < 12; i++) {
            pipeline.offer(sample("p" + i, "temp", 30));
        }
        awaitEvaluated(12);
        assertThat(alerts).hasSize(12);
        assertThat(pending).hasSize(5);
        assertThat(pipeline.snapshot().explanationsPending()).isEqualTo(5);
        assertThat(pipeline.snapshot().explanationsShed()).isEqualTo(7);
        // answering frees the places again
        pending.forEach(f -> f.complete(new Explanation("x", "p", "t", "", "", Severity.INFO,
                Explanation.SOURCE_TEMPLATE, "", "", 1, Instant.now())));
        assertThat(pipeline.snapshot().explanationsPending()).isZero();
        pipeline.offer(sample("q", "temp", 30));
        awaitEvaluated(13);
        assertThat(pending).hasSize(6);
        assertThat(explanations).hasSize(5);
    }
}
