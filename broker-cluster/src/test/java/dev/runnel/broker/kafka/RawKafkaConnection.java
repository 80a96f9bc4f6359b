package dev.runnel.broker.kafka;

import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.ByteBuffer;
import org.apache.kafka.common.protocol.ApiKeys;
import org.apache.kafka.common.protocol.ApiMessage;
import org.apache.kafka.common.protocol.ByteBufferAccessor;
import org.apache.kafka.common.protocol.ObjectSerializationCache;
import org.apache.kafka.common.requests.AbstractRequest;
import org.apache.kafka.common.requests.AbstractResponse;
import org.apache.kafka.common.requests.RequestHeader;

/**
 * A bare socket speaking Kafka's framing, for tests that must send exactly what they want: the same request twice,
 * pipelined requests, broken frames. Requests and responses are still written and read by kafka-clients.
 */
final class RawKafkaConnection implements AutoCloseable {

  private final Socket socket;
  private final DataInputStream in;
  private final OutputStream out;
  private int correlationId;

  RawKafkaConnection(int port) throws IOException {
    socket = new Socket();
    socket.connect(new InetSocketAddress("127.0.0.1", port), 5_000);
    socket.setSoTimeout(30_000);
    in = new DataInputStream(socket.getInputStream());
    out = socket.getOutputStream();
  }

  /** Sends a request and returns its header, to read its response with later. */
  RequestHeader send(AbstractRequest request) throws IOException {
    RequestHeader header = new RequestHeader(request.apiKey(), request.version(), "raw-test", ++correlationId);
    ByteBuffer body = request.serializeWithHeader(header);
    ByteBuffer frame = ByteBuffer.allocate(4 + body.remaining()).putInt(body.remaining()).put(body);
    out.write(frame.array());
    out.flush();
    return header;
  }

  /** Sends a request body as given, at this version, exactly as a client of that version would write it. */
  RequestHeader send(ApiKeys key, short version, ApiMessage body) throws IOException {
    RequestHeader header = new RequestHeader(key, version, "raw-test", ++correlationId);
    ObjectSerializationCache cache = new ObjectSerializationCache();
    int headerSize = header.data().size(cache, header.headerVersion());
    int bodySize = body.size(cache, version);
    ByteBuffer frame = ByteBuffer.allocate(4 + headerSize + bodySize).putInt(headerSize + bodySize);
    ByteBufferAccessor writer = new ByteBufferAccessor(frame);
    header.data().write(writer, cache, header.headerVersion());
    body.write(writer, cache, version);
    out.write(frame.array());
    out.flush();
    return header;
  }

  /**
   * Writes a request frame to {@code out} instead of the socket, numbered as if sent, so that several frames can
   * go out in one write.
   */
  RequestHeader frame(ApiKeys key, short version, ApiMessage body, ByteArrayOutputStream out) {
    RequestHeader header = new RequestHeader(key, version, "raw-test", ++correlationId);
    ObjectSerializationCache cache = new ObjectSerializationCache();
    int headerSize = header.data().size(cache, header.headerVersion());
    int bodySize = body.size(cache, version);
    ByteBuffer frame = ByteBuffer.allocate(4 + headerSize + bodySize).putInt(headerSize + bodySize);
    ByteBufferAccessor writer = new ByteBufferAccessor(frame);
    header.data().write(writer, cache, header.headerVersion());
    body.write(writer, cache, version);
    out.writeBytes(frame.array());
    return header;
  }

  AbstractResponse receive(RequestHeader header) throws IOException {
    int length = in.readInt();
    byte[] frame = new byte[length];
    in.readFully(frame);
    return AbstractResponse.parseResponse(ByteBuffer.wrap(frame), header);
  }

  @SuppressWarnings("unchecked")
  <R extends AbstractResponse> R call(AbstractRequest request) throws IOException {
    return (R) receive(send(request));
  }

  void writeRaw(byte[] bytes) throws IOException {
    out.write(bytes);
    out.flush();
  }

  void shutdownOutput() throws IOException {
    socket.shutdownOutput();
  }

  /** Whether the server closed the connection: reading hits the end of the stream (or a reset). */
  boolean closedByServer() {
    try {
      return in.read() == -1;
    } catch (IOException e) {
      return true;
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
