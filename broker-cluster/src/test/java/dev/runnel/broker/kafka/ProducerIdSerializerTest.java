package dev.runnel.broker.kafka;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.NotSerializableException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class ProducerIdSerializerTest {

  private final ProducerIdSerializer serializer = new ProducerIdSerializer();

  @Test
  void when_eventAndSnapshotAreSerialized_then_theyReadBackEqual() throws Exception {
    for (Object value : new Object[] {
        new ProducerIdManager.ProducerIdAllocated(0), new ProducerIdManager.ProducerIdAllocated(Long.MAX_VALUE),
        new ProducerIdManager.State(-1), new ProducerIdManager.State(123_456_789_012L)}) {
      assertEquals(value, serializer.fromBinary(serializer.toBinary(value), serializer.manifest(value)));
    }
  }

  @Test
  void when_bytesOrManifestAreWrong_then_readingFailsClearly() {
    assertThrows(NotSerializableException.class, () -> serializer.fromBinary(new byte[3], "A1"));
    assertThrows(NotSerializableException.class, () -> serializer.fromBinary(new byte[8], "Z9"));
  }
}
