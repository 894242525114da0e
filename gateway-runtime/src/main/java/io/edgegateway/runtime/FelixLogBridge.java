package io.edgegateway.runtime;

import org.osgi.framework.ServiceReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Sends the Felix framework's own messages (resolution errors, bundle exceptions) to the gateway log. */
final class FelixLogBridge extends org.apache.felix.framework.Logger {

    private static final Logger LOG = LoggerFactory.getLogger("org.apache.felix.framework");

    FelixLogBridge() {
        setLogLevel(LOG_WARNING);
    }

    @Override
    protected void doLog(org.osgi.framework.Bundle bundle, ServiceReference sr, int level, String msg,
                         Throwable throwable) {
        String text = bundle == null ? msg : bundle.getSymbolicName() + ": " + msg;
        switch (level) {
            case LOG_ERROR -> LOG.error(text, throwable);
            case LOG_WARNING -> LOG.warn(text, throwable);
            case LOG_INFO -> LOG.info(text, throwable);
            default -> LOG.debug(text, throwable);
        }
    }
}
