package io.edgegateway.mqtt.support;

import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;

import javax.net.SocketFactory;

/**
 * Plain TCP sockets with {@code TCP_NODELAY}. Paho leaves Nagle's algorithm on, so a small publish that follows
 * another one (an alert right after a metrics message) waits until the broker acknowledges the first segment; the
 * broker delays that ACK by up to 40 ms on Linux. Measured with {@code ./gateway bench e2e}: one alert per
 * metrics interval took 20-30 ms instead of about 1 ms, which set the p99 latency.
 */
public final class NoDelaySocketFactory extends SocketFactory {

    private static final SocketFactory DEFAULT = SocketFactory.getDefault();

    private static Socket noDelay(Socket s) throws IOException {
        s.setTcpNoDelay(true);
        return s;
    }

    @Override
    public Socket createSocket() throws IOException {
        return noDelay(new Socket());
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
        return noDelay(DEFAULT.createSocket(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress localHost, int localPort) throws IOException {
        return noDelay(DEFAULT.createSocket(host, port, localHost, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
        return noDelay(DEFAULT.createSocket(host, port));
    }

    @Override
    public Socket createSocket(InetAddress address, int port, InetAddress localAddress, int localPort)
            throws IOException {
        return noDelay(DEFAULT.createSocket(address, port, localAddress, localPort));
    }
}
