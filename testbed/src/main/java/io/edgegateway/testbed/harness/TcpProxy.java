package io.edgegateway.testbed.harness;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A TCP proxy on a free loopback port that forwards every connection to a target (e.g. a broker) and can simulate a
 * network partition: {@link #blackhole(boolean) blackhole(true)} stops forwarding bytes in both directions while
 * every socket stays open, {@link #heal()} resumes.
 *
 * <p>The partition behaves like a real one on a TCP path, not like a reset: bytes sent during it are neither
 * delivered nor lost (the proxy stops reading, so they wait in the socket buffers, as TCP would keep
 * retransmitting them) and a close on one side is not seen by the other until the heal. Connections opened during
 * the partition are accepted but carry nothing until the heal (the TCP handshake itself completes, as with a
 * partition beyond a local NAT or proxy; a dropped SYN would instead make the client's TCP connect time out). So an
 * endpoint notices a partition only through its own timeouts (MQTT keepalive, connect timeout), and a connection
 * both ends still hold when the partition heals simply carries on.
 *
 * <p>Threads: one acceptor ({@code tcp-proxy-<port>}) and two pumps per connection; all daemons, all stopped by
 * {@link #close()}.
 */
public final class TcpProxy implements AutoCloseable {

    private final ServerSocket server;
    private final InetSocketAddress target;
    private final Thread acceptor;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final Object gate = new Object();
    private final AtomicInteger accepted = new AtomicInteger();
    private final AtomicLong forwardedBytes = new AtomicLong();
    private volatile boolean blackholed;
    private volatile boolean closed;

    private TcpProxy(ServerSocket server, InetSocketAddress target) {
        this.server = server;
        this.target = target;
        this.acceptor = new Thread(this::acceptLoop, "tcp-proxy-" + server.getLocalPort());
        acceptor.setDaemon(true);
    }

    /** Starts a proxy on a free loopback port to {@code host:port}. */
    public static TcpProxy start(String host, int port) throws IOException {
        ServerSocket server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
        TcpProxy proxy = new TcpProxy(server, new InetSocketAddress(host, port));
        proxy.acceptor.start();
        return proxy;
    }

    public int port() {
        return server.getLocalPort();
    }

    /** {@code tcp://127.0.0.1:<port>}, for MQTT clients. */
    public String url() {
        return "tcp://127.0.0.1:" + port();
    }

    /** true: stop forwarding (both directions, every connection, existing and new); false: resume. */
    public void blackhole(boolean on) {
        synchronized (gate) {
            blackholed = on;
            gate.notifyAll();
        }
    }

    /** Ends the partition: {@code blackhole(false)}. */
    public void heal() {
        blackhole(false);
    }

    public boolean isBlackholed() {
        return blackholed;
    }

    /** Connections accepted so far (a client's reconnect shows up here). */
    public int connectionsAccepted() {
        return accepted.get();
    }

    /** Bytes forwarded, both directions together. */
    public long forwardedBytes() {
        return forwardedBytes.get();
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = server.accept();
            } catch (IOException e) {
                if (closed) {
                    return;
                }
                continue;
            }
            accepted.incrementAndGet();
            Socket upstream = new Socket();
            try {
                client.setTcpNoDelay(true);
                upstream.setTcpNoDelay(true);
                upstream.connect(target, 5000);
            } catch (IOException e) {
                closeQuietly(client);
                closeQuietly(upstream);
                continue;
            }
            sockets.add(client);
            sockets.add(upstream);
            int n = accepted.get();
            start(client, upstream, "tcp-proxy-" + port() + "-" + n + "-up");
            start(upstream, client, "tcp-proxy-" + port() + "-" + n + "-down");
        }
    }

    private void start(Socket from, Socket to, String name) {
        Thread t = new Thread(() -> pump(from, to), name);
        t.setDaemon(true);
        t.start();
    }

    /** Copies from -> to; waits at the gate before each read and each write; closes both at the end. */
    private void pump(Socket from, Socket to) {
        byte[] buf = new byte[16 * 1024];
        try {
            InputStream in = from.getInputStream();
            OutputStream out = to.getOutputStream();
            while (!closed) {
                awaitOpen();
                int n = in.read(buf);
                awaitOpen(); // read just before the partition began: held, not delivered
                if (n < 0) {
                    break;
                }
                out.write(buf, 0, n);
                out.flush();
                forwardedBytes.addAndGet(n);
            }
        } catch (SocketException e) {
            // closed by the other pump or by close()
        } catch (IOException e) {
            // peer reset
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            closeQuietly(from);
            closeQuietly(to);
            sockets.remove(from);
            sockets.remove(to);
        }
    }

    private void awaitOpen() throws InterruptedException {
        synchronized (gate) {
            while (blackholed && !closed) {
                gate.wait();
            }
        }
    }

    private static void closeQuietly(Socket s) {
        try {
            s.close();
        } catch (IOException ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() throws InterruptedException {
        closed = true;
        blackhole(false);
        try {
            server.close();
        } catch (IOException ignored) {
            // closing anyway
        }
        for (Socket s : sockets) {
            closeQuietly(s);
        }
        acceptor.join(2000);
    }
}
