package io.edgegateway.testbed.bench;

import org.eclipse.paho.client.mqttv3.IMqttDeliveryToken;
import org.eclipse.paho.client.mqttv3.MqttCallback;
import org.eclipse.paho.client.mqttv3.MqttClient;
import org.eclipse.paho.client.mqttv3.MqttConnectOptions;
import org.eclipse.paho.client.mqttv3.MqttException;
import org.eclipse.paho.client.mqttv3.MqttMessage;
import org.eclipse.paho.client.mqttv3.persist.MemoryPersistence;

import io.edgegateway.testbed.harness.MqttRecorder;

/** Paho helpers. */
final class Mqtt {

    private Mqtt() {
    }

    /** A connected client (clean session, in-memory persistence). */
    static MqttClient connect(String brokerUrl, String name) throws MqttException {
        MqttClient client = new MqttClient(brokerUrl, name + "-" + System.nanoTime(), new MemoryPersistence());
        MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(true);
        options.setMaxInflight(1000);
        options.setConnectionTimeout(10);
        client.connect(options);
        return client;
    }

    /** What a subscriber does with each message (on Paho's callback thread). */
    interface Handler {
        void accept(String topic, MqttMessage message, long arrivalNanos);
    }

    /** A connected client subscribed to {@code filter} at QoS 1 that hands every message to {@code handler}. */
    static MqttClient subscriber(String brokerUrl, String name, String filter, Handler handler)
            throws MqttException {
        MqttClient client = new MqttClient(brokerUrl, name + "-" + System.nanoTime(), new MemoryPersistence());
        client.setCallback(new MqttCallback() {
            @Override
            public void connectionLost(Throwable cause) {
                Bench.log("subscriber " + name + " lost its connection: " + cause);
            }

            @Override
            public void messageArrived(String topic, MqttMessage message) {
                handler.accept(topic, message, System.nanoTime());
            }

            @Override
            public void deliveryComplete(IMqttDeliveryToken token) {
            }
        });
        MqttConnectOptions options = new MqttConnectOptions();
        options.setCleanSession(true);
        options.setMaxInflight(1000);
        options.setConnectionTimeout(10);
        MqttRecorder.connectAndSubscribe(client, options, new String[] {filter}, new int[] {1});
        return client;
    }

    static void closeQuietly(MqttClient client) {
        if (client == null) {
            return;
        }
        try {
            if (client.isConnected()) {
                client.disconnect(1000);
            }
        } catch (MqttException e) {
            try {
                client.disconnectForcibly(0, 1000);
            } catch (MqttException ignored) {
                // the broker may be gone already
            }
        }
        try {
            client.close();
        } catch (MqttException ignored) {
            // nothing left to release
        }
    }
}
