package dev.runnel.broker.kafka;

import java.io.NotSerializableException;
import java.nio.ByteBuffer;
import org.apache.pekko.serialization.SerializerWithStringManifest;

/** Binary serializer of the producer id manager's event and snapshot: one 8-byte id each, manifest with version. */
public final class ProducerIdSerializer extends SerializerWithStringManifest {

  private static final String ALLOCATED = "A1";
  private static final String STATE = "S1";

  @Override
  public int identifier() {
    return 7303;
  }

  @Override
  public String manifest(Object o) {
    if (o instanceof ProducerIdManager.ProducerIdAllocated) {
      return ALLOCATED;
    } else if (o instanceof ProducerIdManager.State) {
      return STATE;
    }
    throw new IllegalArgumentException("cannot serialize " + o.getClass());
  }

  @Override
  public byte[] toBinary(Object o) {
    long id;
    if (o instanceof ProducerIdManager.ProducerIdAllocated allocated) {
      id = allocated.producerId();
    } else if (o instanceof ProducerIdManager.State state) {
      id = state.lastProducerId();
    } else {
      throw new IllegalArgumentException("cannot serialize " + o.getClass());
    }
    return ByteBuffer.allocate(Long.BYTES).putLong(id).array();
  }

  @Override
  public Object fromBinary(byte[] bytes, String manifest) throws NotSerializableException {
    if (bytes.length != Long.BYTES) {
      throw new NotSerializableException("producer id record of " + bytes.length + " bytes, expected 8");
    }
    long id = ByteBuffer.wrap(bytes).getLong();
    switch (manifest) {
      case ALLOCATED:
        return new ProducerIdManager.ProducerIdAllocated(id);
      case STATE:
        return new ProducerIdManager.State(id);
      default:
        throw new NotSerializableException("unknown manifest " + manifest);
    }
  }
}
