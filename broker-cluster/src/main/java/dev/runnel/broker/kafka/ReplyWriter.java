package dev.runnel.broker.kafka;

import dev.runnel.broker.memory.ReadLease;
import java.util.ArrayDeque;
import org.apache.pekko.stream.Attributes;
import org.apache.pekko.stream.FlowShape;
import org.apache.pekko.stream.Inlet;
import org.apache.pekko.stream.Outlet;
import org.apache.pekko.stream.stage.AbstractInHandler;
import org.apache.pekko.stream.stage.AbstractOutHandler;
import org.apache.pekko.stream.stage.GraphStage;
import org.apache.pekko.stream.stage.GraphStageLogic;
import org.apache.pekko.util.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The last stage of a connection before its TCP stage: passes response frames on, in chunks of at most
 * {@link #CHUNK_BYTES}, and releases each response's read memory once the socket has taken all but its last chunk.
 * A {@link KafkaApis.Reply.Close} ends the connection (after everything before it, since replies come in request
 * order).
 *
 * <p>When bytes are written is learnt from demand: the TCP stage asks for the next chunk only while it holds less
 * than its write buffer ({@code runnel.broker.kafka.socket-write-buffer}, {@link KafkaServer}). So once the last
 * chunk of a response has been pushed and the TCP stage asks again, at most the write buffer and that chunk are
 * unwritten, and the response's lease is released. (Waiting for the chunk itself cannot work: the TCP stage says
 * nothing more until it is given something, and the next response may be waiting for exactly that memory.) The
 * count of a connection's read memory is thus short by at most the write buffer plus one chunk. A write buffer of one
 * byte makes that one chunk, but every chunk then waits for the write before it to be acknowledged: small responses
 * (Produce) cannot share a write, and the socket idles between chunks.
 */
final class ReplyWriter extends GraphStage<FlowShape<KafkaApis.Reply, ByteString>> {

  /** Unaccounted bytes per connection, beyond the write buffer: the last chunk of a response. */
  static final int CHUNK_BYTES = 256 * 1024;

  private static final Logger log = LoggerFactory.getLogger(ReplyWriter.class);

  private final Inlet<KafkaApis.Reply> in = Inlet.create("ReplyWriter.in");
  private final Outlet<ByteString> out = Outlet.create("ReplyWriter.out");
  private final FlowShape<KafkaApis.Reply, ByteString> shape = FlowShape.of(in, out);
  private final String connection;

  ReplyWriter(String connection) {
    this.connection = connection;
  }

  @Override
  public FlowShape<KafkaApis.Reply, ByteString> shape() {
    return shape;
  }

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new GraphStageLogic(shape) {
      private final ArrayDeque<ByteString> chunks = new ArrayDeque<>();
      /** The lease of the response being pushed. */
      private ReadLease writing;
      /** The lease of the response whose last chunk was pushed: released at the next demand. */
      private ReadLease written;

      {
        setHandler(in, new AbstractInHandler() {
          @Override
          public void onPush() {
            KafkaApis.Reply reply = grab(in);
            if (reply instanceof KafkaApis.Reply.Close close) {
              log.info("{}: closing the connection after answering the requests before a bad one: {}",
                  connection, close.reason());
              completeStage();
              return;
            }
            KafkaApis.Reply.Response response = (KafkaApis.Reply.Response) reply;
            if (response.frame().isEmpty()) {
              response.lease().release();
              pull(in);
              return;
            }
            ByteString frame = response.frame().get();
            for (int start = 0; start < frame.length(); start += CHUNK_BYTES) {
              chunks.add(frame.slice(start, Math.min(frame.length(), start + CHUNK_BYTES)));
            }
            writing = response.lease();
            pushChunk();
          }
        });
        setHandler(out, new AbstractOutHandler() {
          @Override
          public void onPull() {
            if (written != null) {
              written.release();
              written = null;
            }
            if (chunks.isEmpty()) {
              pull(in);
            } else {
              pushChunk();
            }
          }
        });
      }

      private void pushChunk() {
        push(out, chunks.poll());
        if (chunks.isEmpty()) {
          written = writing;
          writing = null;
        }
      }

      @Override
      public void postStop() {
        if (writing != null) {
          writing.release();
        }
        if (written != null) {
          written.release();
        }
      }
    };
  }
}
