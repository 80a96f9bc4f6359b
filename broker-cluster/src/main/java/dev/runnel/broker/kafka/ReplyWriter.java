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
 * The last stage of a connection before its TCP stage: passes response frames on and releases each response's read
 * memory once the socket has taken it. A {@link KafkaApis.Reply.Close} ends the connection (after everything before
 * it, since replies come in request order).
 *
 * <p>When bytes are written is learnt from demand: the TCP stage, with a write buffer of one byte
 * ({@link KafkaServer}), pulls again only when it holds no element but the one it is writing, the last one pushed.
 * So on every pull all responses but the last one pushed have been written and are released; the last one is
 * released at the next pull, or when the stage stops (the connection closed, however it ended).
 */
final class ReplyWriter extends GraphStage<FlowShape<KafkaApis.Reply, ByteString>> {

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
      private final ArrayDeque<ReadLease> unwritten = new ArrayDeque<>();

      {
        setHandler(in, new AbstractInHandler() {
          @Override
          public void onPush() {
            KafkaApis.Reply reply = grab(in);
            if (reply instanceof KafkaApis.Reply.Close close) {
              log.info("{}: closing the connection after answering the requests before a bad one: {}",
                  connection, close.reason());
              completeStage();
            } else {
              KafkaApis.Reply.Response response = (KafkaApis.Reply.Response) reply;
              if (response.frame().isPresent()) {
                unwritten.add(response.lease());
                push(out, response.frame().get());
              } else {
                response.lease().release();
                pull(in);
              }
            }
          }
        });
        setHandler(out, new AbstractOutHandler() {
          @Override
          public void onPull() {
            while (unwritten.size() > 1) {
              unwritten.poll().release();
            }
            pull(in);
          }
        });
      }

      @Override
      public void postStop() {
        while (!unwritten.isEmpty()) {
          unwritten.poll().release();
        }
      }
    };
  }
}
