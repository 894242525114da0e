/** The pipeline implementation; private to the core bundle. */
package io.edgegateway.core.internal;
