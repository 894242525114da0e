package io.edgegateway.deploy.support;

/**
 * What checking an artifact's signature found.
 *
 * @param status what kind of result
 * @param sha256 the artifact's SHA-256, hex
 * @param signer the name of the trusted key that signed it (its file name without {@code .pem}); empty unless
 *               {@link Status#VERIFIED}
 * @param reason one sentence naming the file and the cause (or the signer)
 */
public record Verification(Status status, String sha256, String signer, String reason) {

    public enum Status {
        /** Signed by a trusted key. */
        VERIFIED("verified"),
        /** No signature file. */
        UNSIGNED("unsigned"),
        /** A signature file that is not an Ed25519 signature (truncated, garbage). */
        MALFORMED_SIGNATURE("malformed_signature"),
        /** A signature that no trusted key verifies: the artifact was tampered with, or a foreign key signed it. */
        BAD_SIGNATURE("bad_signature"),
        /** Nothing to verify with. */
        NO_TRUSTED_KEYS("no_trusted_keys");

        private final String counter;

        Status(String counter) {
            this.counter = counter;
        }

        /** The snake_case name used in counters and logs. */
        public String counter() {
            return counter;
        }
    }

    public boolean verified() {
        return status == Status.VERIFIED;
    }
}
