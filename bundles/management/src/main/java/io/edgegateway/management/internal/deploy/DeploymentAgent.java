package io.edgegateway.management.internal.deploy;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The one way artifacts get into, out of or back to an earlier version in the running gateway. Registered as a
 * service by the agent's component (this bundle only: the package is private); the {@code deploy/} folder watcher and
 * remote management both call it, so both get the same checks.
 *
 * <p>Only one operation runs at a time: a second one while another is under way completes at once with
 * {@link DeploymentResult.Outcome#BUSY}. Every method returns quickly; the stage completes when the operation has
 * ended (committed, rolled back, rejected, failed). Results are also kept ({@link #history}) so that a caller that
 * was itself restarted by the operation (an update of the bundle that asked) can find its result afterwards.
 */
public interface DeploymentAgent {

    /*
     * A "target" names one installed bundle: its location (contains ':', e.g. file:/.../deploy/rules.jar), or its
     * symbolic name, optionally with a version ("io.edgegateway.rules-basic@1.2.0"); without a version, the newest
     * installed version of that name.
     */

    /**
     * Installs an artifact as a new bundle: verify the signature over the artifact's SHA-256 against the trusted keys
     * (unless development mode allows unsigned artifacts), install, start, watch the health window, then commit, or
     * uninstall it again. Several versions of one symbolic name may be installed side by side (model bundles are:
     * the model tracker serves the newest and falls back to the next when it goes); the same name and version twice
     * is rejected.
     *
     * @param artifact  the bundle jar (a model bundle is a bundle too)
     * @param signature its detached signature file, or {@code null} when there is none
     * @param location  the bundle location to use ({@code file:} URI of a {@code deploy/} file), or {@code null} for
     *                  one the agent chooses
     * @param request   who asks and why (request id, origin); echoed in the result
     */
    CompletionStage<DeploymentResult> install(Path artifact, Path signature, String location,
                                              DeploymentRequest request);

    /**
     * Replaces the target bundle by the artifact (same symbolic name, any version): verify, keep the current version
     * for rollback, update, start, watch the health window, then commit, or put the previous version back.
     */
    CompletionStage<DeploymentResult> update(String target, Path artifact, Path signature, DeploymentRequest request);

    /** Uninstalls the target bundle (keeping its last version for {@link #rollback}). */
    CompletionStage<DeploymentResult> uninstall(String target, DeploymentRequest request);

    /**
     * Undoes the last committed operation on this symbolic name (an update: the previous version again; an install:
     * uninstalled; an uninstall: installed again), health-checked like any update.
     */
    CompletionStage<DeploymentResult> rollback(String symbolicName, DeploymentRequest request);

    /** Stops and starts the target bundle (its components deactivate and activate again). */
    CompletionStage<DeploymentResult> restart(String target, DeploymentRequest request);

    /** Bundles the gateway runs now: symbolic name, version, state, where from, signed by which key. */
    List<DeployedArtifact> artifacts();

    /** The operation under way, if any. */
    Optional<DeploymentRequest> inProgress();

    /** The last {@code max} results, newest first (kept across restarts of the gateway). */
    List<DeploymentResult> history(int max);

    /** Who asks for an operation. */
    record DeploymentRequest(String requestId, String origin) {
        public DeploymentRequest {
            requestId = requestId == null ? "" : requestId;
            origin = origin == null ? "" : origin;
        }
    }

    /** One installed bundle as the agent reports it. */
    record DeployedArtifact(long bundleId, String symbolicName, String version, String state, String location,
                            String sha256, String signedBy, boolean platform) {
    }
}
