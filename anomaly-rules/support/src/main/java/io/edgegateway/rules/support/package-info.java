/**
 * Small helpers shared by the gateway's rule bundles. Not exported: bnd copies this package into each rule bundle
 * that uses it ({@code -conditionalpackage} in the parent pom), so the bundles stay independent of each other.
 */
package io.edgegateway.rules.support;
