package io.edgegateway.management.internal.remote;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import io.edgegateway.management.internal.deploy.DeploymentAgent;
import io.edgegateway.management.internal.deploy.DeploymentResult;
import io.edgegateway.management.protocol.Json;

/**
 * The answers to deployment requests across a gateway restart: the journal and the agent's history, with an agent
 * that only keeps a history (the real agent runs in DeploymentCrashIT and RemoteManagementIT).
 */
class DeploymentVerbsTest {

    @TempDir
    Path dir;

    private final List<Map<String, Object>> published = new CopyOnWriteArrayList<>();
    private final HistoryOnlyAgent agent = new HistoryOnlyAgent();

    private ResponseBook book() throws Exception {
        return new ResponseBook("gw", dir.resolve("requests"), 500, List.of(), (topic, payload) -> {
            try {
                published.add(Json.parseObject(payload));
            } catch (Json.JsonException e) {
                throw new AssertionError("a response that is not JSON: " + new String(payload), e);
            }
            return true;
        });
    }

    private DeploymentVerbs verbs(ResponseBook book) throws Exception {
        TransferStore transfers = new TransferStore(dir.resolve("transfers"), 1 << 20, 3 << 20, 64 * 1024, 60_000,
                System::currentTimeMillis);
        return new DeploymentVerbs(() -> agent, transfers, book);
    }

    private static Request update(String id) throws RequestException {
        return Request.of("update", Map.of("requestId", id, "operator", "op@host", "target", "fixture"));
    }

    @Test
    void aRepeatThatArrivesBeforeTheAgentsResultAfterARestartIsStillAnsweredWithTheResult() throws Exception {
        // the run before the restart accepted the update and journaled it, then was killed
        book().accepted(update("cli-1-2"), List.of());

        // the restarted gateway: the CLI's repeat comes before the agent has put the old version back
        ResponseBook book = book();
        DeploymentVerbs verbs = verbs(book);
        verbs.handleUnanswered(update("cli-1-2"));
        assertThat(published).singleElement().satisfies(m -> {
            assertThat(m.get("final")).isEqualTo(false);
            assertThat(String.valueOf(m.get("message"))).contains("accepted before the gateway restarted");
        });
        assertThat(agent.operations).as("a repeat is not carried out again").isEmpty();

        // the agent's recovery ends: the housekeeping's recover() answers it (it skipped it when the repeat had
        // marked it as running in this run, and the CLI waited for an answer that never came)
        agent.history.add(new DeploymentResult("cli-1-2", "remote:op@host", "update", "fixture", "1.1.0", "1.0.0",
                DeploymentResult.Outcome.ROLLED_BACK, "the gateway restarted during the health window", 1, 2));
        verbs.recover();
        assertThat(published).hasSize(2);
        Map<String, Object> last = published.get(1);
        assertThat(last.get("final")).isEqualTo(true);
        assertThat(last.get("ok")).isEqualTo(false);
        assertThat(String.valueOf(last.get("error"))).contains("rolled back");
        assertThat(book.isJournaled("cli-1-2")).as("the journal entry is resolved").isFalse();

        // one more repeat gets the same final answer, from the answers kept in this run
        assertThat(book.repeat("update", "cli-1-2")).isTrue();
        assertThat(published.get(2)).isEqualTo(last);
    }

    @Test
    void aRepeatAfterTheResultIsInTheHistoryGetsItAtOnce() throws Exception {
        book().accepted(update("cli-1-3"), List.of());
        agent.history.add(new DeploymentResult("cli-1-3", "remote:op@host", "update", "fixture", "1.0.0", "1.1.0",
                DeploymentResult.Outcome.COMMITTED, "healthy", 1, 2));
        ResponseBook book = book();
        verbs(book).handleUnanswered(update("cli-1-3"));
        assertThat(published).singleElement().satisfies(m -> {
            assertThat(m.get("final")).isEqualTo(true);
            assertThat(m.get("ok")).isEqualTo(true);
        });
        assertThat(book.isJournaled("cli-1-3")).isFalse();
        assertThat(agent.operations).isEmpty();
    }

    @Test
    void aNewRequestIsCarriedOut() throws Exception {
        verbs(book()).handleUnanswered(Request.of("restart", Map.of("requestId", "cli-1-4", "target", "fixture")));
        assertThat(agent.operations).containsExactly("restart fixture");
        assertThat(published.get(0).get("final")).isEqualTo(false);
    }

    /** Keeps a history and records what it was asked; operations never end (enough for the answers' logic). */
    private static final class HistoryOnlyAgent implements DeploymentAgent {
        final List<DeploymentResult> history = new ArrayList<>();
        final List<String> operations = new ArrayList<>();

        private CompletionStage<DeploymentResult> asked(String what) {
            operations.add(what);
            return new CompletableFuture<>();
        }

        @Override
        public CompletionStage<DeploymentResult> install(Path artifact, Path signature, String location,
                                                         DeploymentRequest request) {
            return asked("install " + artifact);
        }

        @Override
        public CompletionStage<DeploymentResult> update(String target, Path artifact, Path signature,
                                                        DeploymentRequest request) {
            return asked("update " + target);
        }

        @Override
        public CompletionStage<DeploymentResult> uninstall(String target, DeploymentRequest request) {
            return asked("uninstall " + target);
        }

        @Override
        public CompletionStage<DeploymentResult> rollback(String symbolicName, DeploymentRequest request) {
            return asked("rollback " + symbolicName);
        }

        @Override
        public CompletionStage<DeploymentResult> restart(String target, DeploymentRequest request) {
            return asked("restart " + target);
        }

        @Override
        public List<DeployedArtifact> artifacts() {
            return List.of();
        }

        @Override
        public Optional<DeploymentRequest> inProgress() {
            return Optional.empty();
        }

        @Override
        public List<DeploymentResult> history(int max) {
            return List.copyOf(history);
        }
    }
}
