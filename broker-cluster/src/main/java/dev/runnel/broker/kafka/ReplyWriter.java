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
 * The last stage of a connection before its TCP stage: passes response frames on, in pushes of at most
 * {@link #CHUNK_BYTES}, and releases each response's read memory once the socket has taken all but its last push.
 * A {@link KafkaApis.Reply.Close} ends the connection after everything before it (replies come in request order).
 *
 * <p><b>Coalescing.</b> While the TCP stage is busy with a write, the responses that become ready meanwhile are
 * gathered here (up to {@link #CHUNK_BYTES}) and go out as one push, so one write to the socket carries every
 * pipelined response that was waiting for it: a producer with five requests in flight gets their answers in one
 * write rather than in five writes, each waiting for the one before it to be acknowledged. A response larger than
 * a push is split into pushes of that size.
 *
 * <p><b>Read memory.</b> When bytes are written is learnt from demand: the TCP stage asks for the next push only
 * while it holds less than its write buffer ({@code runnel.broker.kafka.socket-write-buffer}, {@link KafkaServer}).
 * So once the last byte of a response has been pushed and the TCP stage asks again, at most the write buffer and
 * that push are unwritten, and the response's lease is released. (Waiting for the push itself cannot work: the TCP
 * stage says nothing more until it is given something, and the next response may be waiting for exactly that
 * memory.) Responses gathered but not yet pushed keep their leases. The count of a connection's read memory is
 * thus short by at most the write buffer plus one push.
 *
 * <p>This class is not thread-safe: the stream runs it on one thread at a time.
 */
final class ReplyWriter extends GraphStage<FlowShape<KafkaApis.Reply, ByteString>> {

  /** The most bytes of one push: the unaccounted bytes per connection beyond the write buffer. */
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

  /** A response's lease, released once the push holding its last byte has been taken by the TCP stage. */
  private record Unwritten(ReadLease lease, long endsAt) {}

  @Override
  public GraphStageLogic createLogic(Attributes inheritedAttributes) {
    return new GraphStageLogic(shape) {
      /** Bytes of responses not pushed yet, each part at most {@link #CHUNK_BYTES}. */
      private final ArrayDeque<ByteString> parts = new ArrayDeque<>();
      /** Leases of the responses not yet known to be in the write buffer, in order. */
      private final ArrayDeque<Unwritten> unwritten = new ArrayDeque<>();
      private long queuedBytes;
      private long pushedBytes;
      /** A Close came, or the requests ended: complete once everything before is pushed. */
      private boolean finishing;

      {
        setHandler(in, new AbstractInHandler() {
          @Override
          public void onPush() {
            KafkaApis.Reply reply = grab(in);
            if (reply instanceof KafkaApis.Reply.Close close) {
              log.info("{}: closing the connection after answering the requests before a bad one: {}",
                  connection, close.reason());
              finish();
              return;
            }
            KafkaApis.Reply.Response response = (KafkaApis.Reply.Response) reply;
            if (response.frame().isEmpty()) {
              response.lease().release();
            } else {
              ByteString frame = response.frame().get();
              for (int start = 0; start < frame.length(); start += CHUNK_BYTES) {
                parts.add(frame.slice(start, Math.min(frame.length(), start + CHUNK_BYTES)));
              }
              queuedBytes += frame.length();
              unwritten.add(new Unwritten(response.lease(), queuedBytes));
            }
            if (isAvailable(out)) {
              pushParts();
            }
            pullIfRoom();
          }

          @Override
          public void onUpstreamFinish() {
            finish();
          }
        });
        setHandler(out, new AbstractOutHandler() {
          @Override
          public void onPull() {
            // The TCP stage asks again: what was pushed before is in its write buffer or written.
            while (!unwritten.isEmpty() && unwritten.peek().endsAt() <= pushedBytes) {
              unwritten.poll().lease().release();
            }
            pushParts();
            pullIfRoom();
          }
        });
      }

      @Override
      public void preStart() {
        pull(in);
      }

      /** Pushes the waiting parts as one, as many as fit in a push (always at least one), if any wait. */
      private void pushParts() {
        if (parts.isEmpty()) {
          return;
        }
        ByteString push = parts.poll();
        while (!parts.isEmpty() && push.length() + parts.peek().length() <= CHUNK_BYTES) {
          push = push.concat(parts.poll());
        }
        pushedBytes += push.length();
        push(out, push);
        if (parts.isEmpty() && finishing) {
          completeStage();
        }
      }

      /** Reads the next reply while less than a push waits here, so that replies ready meanwhile share a write. */
      private void pullIfRoom() {
        if (!finishing && !hasBeenPulled(in) && !isClosed(in) && queuedBytes - pushedBytes < CHUNK_BYTES) {
          pull(in);
        }
      }

      private void finish() {
        finishing = true;
        if (parts.isEmpty()) {
          completeStage();
        }
      }

      @Override
      public void postStop() {
        for (Unwritten response : unwritten) {
          response.lease().release();
        }
        unwritten.clear();
      }
    };
  }
}
