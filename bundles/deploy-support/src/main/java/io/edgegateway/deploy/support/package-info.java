/**
 * Artifact signatures (Ed25519 over the SHA-256, PEM keys, detached {@code .sig} files), the trusted-key folder and
 * the deployment journal with its recovery. Not exported: bnd copies this package into the bundle that uses it
 * ({@code -conditionalpackage} in the parent pom); the launcher and the tests have it on their class path.
 */
package io.edgegateway.deploy.support;
