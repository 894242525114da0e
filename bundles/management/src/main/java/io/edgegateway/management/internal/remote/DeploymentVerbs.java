package io.edgegateway.management.internal.remote;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import io.edgegateway.management.internal.deploy.DeploymentAgent;
import io.edgegateway.management.internal.deploy.DeploymentAgent.DeploymentRequest;
import io.edgegateway.management.internal.deploy.DeploymentResult;
import io.edgegateway.management.protocol.Protocol;

/**
 * install, update, uninstall, restart and rollback: each goes to the {@link DeploymentAgent}, which verifies the
 * signature, stages, starts, watches the health window and commits or rolls back. Remote management adds no trust
 * of its own: it hands over the uploaded artifact and its detached signature as they came.
 *
 * <p>Each operation is journaled when accepted and answered twice: at once {@code final:false, state:running},
 * and with the agent's result when it ends ({@code ok} only when {@code COMMITTED}). When the gateway restarted in
 * between, the journal and the agent's history give the result after the restart.
 */
final class DeploymentVerbs {

    private static final Logger LOG = LoggerFactory.getLogger(DeploymentVerbs.class);
    /** After a restart, how long a journaled request may wait for the agent's result before it is answered. */
    static final long RECOVERY_GRACE_MS = 30_000;

    private final Supplier<DeploymentAgent> agents;
    private final TransferStore transfers;
    private final ResponseBook book;
    private final long startedMs = System.currentTimeMillis();
    private volatile long agentSeenMs;

    DeploymentVerbs(Supplier<DeploymentAgent> agents, TransferStore transfers, ResponseBook book) {
        this.agents = agents;
        this.transfers = transfers;
        this.book = book;
    }

    private DeploymentAgent agent() throws RequestException {
        DeploymentAgent a = agents.get();
        if (a == null) {
            throw new RequestException(null, "the deployment agent is not running on this gateway: install, update, "
                    + "uninstall, restart and rollback need it (see status)");
        }
        return a;
    }

    /**
     * A deployment request this run has no answer for: the repeat of one accepted before a restart (answered from the
     * agent's history, or told it still runs) or a new one (carried out).
     */
    void handleUnanswered(Request r) throws RequestException {
        Optional<DeploymentResult> done = historyOf(r.requestId());
        if (done.isPresent()) {
            answer(r.verb(), r.requestId(), done.get(), book.journaledTransfers(r.requestId()));
            return;
        }
        if (book.isJournaled(r.requestId())) {
            // an interim answer that is not remembered as running in this run: recover() skips requests running in
            // this run, so remembering it would leave it unanswered for good once the agent has its result
            book.interim(r.verb(), r.requestId(), "still running: accepted before the gateway restarted");
            return;
        }
        handle(r);
    }

    /** Carries out a deployment verb; the answers follow (running now, the result later). */
    void handle(Request r) throws RequestException {
        DeploymentAgent a = agent();
        DeploymentRequest who = new DeploymentRequest(r.requestId(), r.origin());
        List<String> used = new ArrayList<>();
        Supplier<CompletionStage<DeploymentResult>> op;
        String what;
        switch (r.verb()) {
            case Protocol.INSTALL -> {
                Path artifact = artifact(r, "artifact", used);
                Path signature = signature(r, used);
                String location = r.optionalText("location", "the bundle location to use");
                op = () -> a.install(artifact, signature, location, who);
                what = "install of " + artifact.getFileName();
            }
            case Protocol.UPDATE -> {
                String target = r.text("target", "the bundle to update: symbolic name[@version] or location");
                Path artifact = artifact(r, "artifact", used);
                Path signature = signature(r, used);
                op = () -> a.update(target, artifact, signature, who);
                what = "update of " + target + " to " + artifact.getFileName();
            }
            case Protocol.UNINSTALL -> {
                String target = r.text("target", "the bundle to uninstall: symbolic name[@version] or location");
                op = () -> a.uninstall(target, who);
                what = "uninstall of " + target;
            }
            case Protocol.RESTART -> {
                String target = r.text("target", "the bundle to restart: symbolic name[@version] or location");
                op = () -> a.restart(target, who);
                what = "restart of " + target;
            }
            case Protocol.ROLLBACK -> {
                String name = r.text("symbolicName", "the bundle whose last operation is undone");
                op = () -> a.rollback(name, who);
                what = "rollback of " + name;
            }
            default -> throw new IllegalArgumentException(r.verb());
        }
        // running first: recover() skips requests that are running in this run
        book.running(r.verb(), r.requestId(), what + " accepted; the deployment agent is on it");
        book.accepted(r, used);
        LOG.info("Remote management: {} requested by {} ({})", what, r.origin(), r.requestId());
        CompletionStage<DeploymentResult> stage;
        try {
            stage = op.get();
        } catch (RuntimeException e) {
            book.error(r.verb(), r.requestId(), null, "the deployment agent failed: " + e, null);
            return;
        }
        stage.whenComplete((result, error) -> {
            if (error != null) {
                book.error(r.verb(), r.requestId(), null, "the deployment agent failed: " + error, null);
            } else {
                answer(r.verb(), r.requestId(), result, used);
            }
        });
    }

    private Path artifact(Request r, String field, List<String> used) throws RequestException {
        String id = r.text(field, "the transfer id (the file's sha256) of an upload");
        Path p = transfers.artifact(id, field);
        used.add(id);
        return p;
    }

    private Path signature(Request r, List<String> used) throws RequestException {
        return r.has("signature") ? artifact(r, "signature", used) : null;
    }

    /** Publishes a result; transfers that were consumed (committed) or proven bad (rolled back) are removed. */
    void answer(String verb, String requestId, DeploymentResult result, List<String> used) {
        if (result.outcome() == DeploymentResult.Outcome.COMMITTED
                || result.outcome() == DeploymentResult.Outcome.ROLLED_BACK) {
            used.forEach(transfers::remove);
        }
        Map<String, Object> m = describe(result);
        if (result.outcome() == DeploymentResult.Outcome.COMMITTED) {
            book.ok(verb, requestId, m);
        } else {
            book.error(verb, requestId, null, result.outcome().name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + ": "
                    + result.reason(), m);
        }
    }

    static Map<String, Object> describe(DeploymentResult r) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("requestId", r.requestId());
        m.put("origin", r.origin());
        m.put("operation", r.operation());
        m.put("symbolicName", r.symbolicName());
        m.put("fromVersion", r.fromVersion());
        m.put("toVersion", r.toVersion());
        m.put("outcome", r.outcome().name());
        m.put("reason", r.reason());
        m.put("startedMs", r.startedMs());
        m.put("finishedMs", r.finishedMs());
        return m;
    }

    /** The agent's result for a request id, if it has one. */
    Optional<DeploymentResult> historyOf(String requestId) {
        DeploymentAgent a = agents.get();
        if (a == null) {
            return Optional.empty();
        }
        return a.history(100).stream().filter(h -> requestId.equals(h.requestId())).findFirst();
    }

    /**
     * Answers journaled requests of an earlier run (the gateway restarted while they ran): from the agent's history,
     * or, when it has none after {@link #RECOVERY_GRACE_MS}, with an error that says the result is unknown.
     */
    void recover() {
        DeploymentAgent a = agents.get();
        long now = System.currentTimeMillis();
        if (a != null && agentSeenMs == 0) {
            agentSeenMs = now;
        }
        for (ResponseBook.Journaled j : book.journaled()) {
            if (book.isRunning(j.requestId())) {
                continue; // under way in this run
            }
            Optional<DeploymentResult> done = historyOf(j.requestId());
            if (done.isPresent()) {
                LOG.info("Remote management: request {} ({}) ended while the gateway restarted: {}", j.requestId(),
                        j.verb(), done.get().outcome());
                answer(j.verb(), j.requestId(), done.get(), j.transfers());
                continue;
            }
            boolean underWay = a != null && a.inProgress().map(DeploymentRequest::requestId)
                    .filter(j.requestId()::equals).isPresent();
            long since = Math.max(startedMs, agentSeenMs);
            if (!underWay && now - since > RECOVERY_GRACE_MS) {
                book.error(j.verb(), j.requestId(), null, "the gateway restarted while this request ran and the "
                        + "deployment agent " + (a == null ? "is not running" : "has no result for it")
                        + "; 'status' shows what is installed now", null);
            }
        }
    }
}
