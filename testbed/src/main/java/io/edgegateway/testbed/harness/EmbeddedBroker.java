package io.edgegateway.testbed.harness;

import java.io.IOException;
import java.util.Properties;

import io.moquette.broker.Server;
import io.moquette.broker.config.MemoryConfig;

/**
 * The demo's MQTT broker: Moquette inside the demo's JVM (outside the gateway), on a free loopback port, so the demo
 * needs nothing installed. Telemetry to Moquette's authors and its on-disk store are switched off: plant data stays
 * on site and nothing is written to ./data.
 */
public final class EmbeddedBroker implements AutoCloseable {

    private final Server server = new Server();
    private final int port;

    private EmbeddedBroker(int port) {
        this.port = port;
    }

    public static EmbeddedBroker start() throws IOException {
        EmbeddedBroker broker = new EmbeddedBroker(Ports.freePort());
        Properties p = new Properties();
        p.setProperty("host", "127.0.0.1");
        p.setProperty("port", Integer.toString(broker.port));
        p.setProperty("websocket_port", "disabled");
        p.setProperty("allow_anonymous", "true");
        p.setProperty("persistence_enabled", "false");
        p.setProperty("telemetry_enabled", "false");
        p.setProperty("netty.mqtt.message_size", Integer.toString(1 << 20));
        broker.server.startServer(new MemoryConfig(p));
        return broker;
    }

    public String url() {
        return "tcp://127.0.0.1:" + port;
    }

    @Override
    public void close() {
        server.stopServer();
    }
}
