package dev.runnel.broker.testkit;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A TCP proxy in front of a node, to lose answers on purpose: while {@link #swallowReplies} is on, what the node
 * sends is read and dropped, while what the client sends still reaches the node; {@link #cut} then closes every
 * connection so far, as a network that fails after a request arrived and before its answer did. New connections
 * pass both ways again. Plain sockets with two threads per connection: test code only.
 */
public final class TcpProxy implements AutoCloseable {

  private final ServerSocket server;
  private final int target;
  private final List<Socket> sockets = new CopyOnWriteArrayList<>();
  private volatile boolean swallowReplies;

  public TcpProxy(int targetPort) throws IOException {
    this.target = targetPort;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    daemon("proxy-accept", this::accept);
  }

  public int port() {
    return server.getLocalPort();
  }

  /** From now on the node's bytes are dropped on their way to the client, until {@link #cut}. */
  public void swallowReplies() {
    swallowReplies = true;
  }

  /** Closes every connection made so far; later connections pass both ways. */
  public void cut() {
    swallowReplies = false;
    for (Socket socket : sockets) {
      closeQuietly(socket);
    }
    sockets.clear();
  }

  @Override
  public void close() {
    closeQuietly(server);
    cut();
  }

  private void accept() {
    while (!server.isClosed()) {
      try {
        Socket client = server.accept();
        Socket node = new Socket(InetAddress.getLoopbackAddress(), target);
        client.setTcpNoDelay(true);
        node.setTcpNoDelay(true);
        sockets.add(client);
        sockets.add(node);
        daemon("proxy-to-node", () -> pump(client, node, false));
        daemon("proxy-to-client", () -> pump(node, client, true));
      } catch (IOException closed) {
        return;
      }
    }
  }

  private void pump(Socket from, Socket to, boolean reply) {
    byte[] buffer = new byte[16 * 1024];
    try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
      int read;
      while ((read = in.read(buffer)) >= 0) {
        if (!(reply && swallowReplies)) {
          out.write(buffer, 0, read);
          out.flush();
        }
      }
    } catch (IOException closed) {
      // One side closed: the connection is over, both sockets go.
    } finally {
      closeQuietly(from);
      closeQuietly(to);
    }
  }

  private static void daemon(String name, Runnable task) {
    Thread thread = new Thread(task, name);
    thread.setDaemon(true);
    thread.start();
  }

  private static void closeQuietly(java.io.Closeable closeable) {
    try {
      closeable.close();
    } catch (IOException ignored) {
      // Closing is all that is asked; a socket already closed is fine.
    }
  }
}
