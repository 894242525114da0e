package io.edgegateway.management.internal.deploy;

/**
 * How a deployment operation ended.
 *
 * @param requestId    the request's id (empty when the operation came from the {@code deploy/} folder)
 * @param origin       {@code deploy-folder}, {@code remote:<client>}, {@code recovery} ...
 * @param operation    {@code install}, {@code update}, {@code uninstall}, {@code rollback}, {@code restart}
 * @param symbolicName the bundle concerned (empty when the artifact was rejected before it could be read)
 * @param fromVersion  version before (empty when none)
 * @param toVersion    version the operation aimed at (empty when none)
 * @param outcome      how it ended
 * @param reason       one sentence: why it was rejected or rolled back, or what was done
 * @param startedMs    epoch millis
 * @param finishedMs   epoch millis
 */
public record DeploymentResult(String requestId, String origin, String operation, String symbolicName,
                               String fromVersion, String toVersion, Outcome outcome, String reason,
                               long startedMs, long finishedMs) {

    public enum Outcome {
        /** Installed/updated/removed and healthy through the window. */
        COMMITTED,
        /** Started but unhealthy within the health window (or found half-done after a crash): previous version back. */
        ROLLED_BACK,
        /** Refused before anything changed: unsigned, tampered, wrongly signed, not a bundle, unknown bundle. */
        REJECTED,
        /** Could not be carried out and could not be undone cleanly either; the reason says what state is left. */
        FAILED,
        /** Another operation is under way. */
        BUSY
    }
}
