package io.edgegateway.testbed.slowexplainer;

import java.time.Instant;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

import org.osgi.service.component.annotations.Activate;
import org.osgi.service.component.annotations.Component;
import org.osgi.service.component.annotations.ConfigurationPolicy;
import org.osgi.service.component.annotations.Deactivate;
import org.osgi.service.metatype.annotations.Designate;
import org.osgi.service.metatype.annotations.ObjectClassDefinition;

import io.edgegateway.api.Alert;
import io.edgegateway.api.AssetContext;
import io.edgegateway.api.Explainer;
import io.edgegateway.api.Explanation;
import io.edgegateway.api.Severity;

/**
 * An explainer that takes {@code delay.s} seconds per explanation, one at a time, with an unbounded queue: the
 * slow consumer of fault scenario 6. Ranked above the LLM explainer so the pipeline uses it while it is installed.
 */
@Component(configurationPid = "io.edgegateway.testbed.slowexplainer", configurationPolicy = ConfigurationPolicy.REQUIRE,
        property = {Explainer.NAME + "=slow", "service.ranking:Integer=1000"})
@Designate(ocd = SlowExplainer.Config.class)
public class SlowExplainer implements Explainer {

    @ObjectClassDefinition(name = "Slow explainer (test fixture)")
    public @interface Config {
        double delay_s() default 30;
    }

    private final ExecutorService worker = Executors.newSingleThreadExecutor(r -> new Thread(r, "slow-explainer"));
    private long delayMillis;

    @Activate
    void activate(Config config) {
        delayMillis = Math.round(config.delay_s() * 1000);
    }

    @Deactivate
    void deactivate() throws InterruptedException {
        worker.shutdownNow();
        worker.awaitTermination(5, TimeUnit.SECONDS);
    }

    @Override
    public CompletionStage<Explanation> explain(Alert alert, AssetContext context) {
        return CompletableFuture.supplyAsync(() -> {
            try {
                Thread.sleep(delayMillis);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("stopped", e);
            }
            return new Explanation(alert.alertId(), alert.assetId(), "slowly explained", "", "", Severity.INFO,
                    Explanation.SOURCE_TEMPLATE, "", "", delayMillis, Instant.now());
        }, worker);
    }
}
