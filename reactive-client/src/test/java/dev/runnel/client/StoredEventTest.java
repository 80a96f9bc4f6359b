package dev.runnel.client;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.nio.charset.StandardCharsets;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(10)
class StoredEventTest {

  private static byte[] utf8(String text) {
    return text.getBytes(StandardCharsets.UTF_8);
  }

  @Test
  void when_aRecordCarriesTheEnvelope_then_itsStoredEventHasTheEnvelopesFields() {
    ConsumerRecord record = new ConsumerRecord("events", 2, 41, 1_700_000_000_000L, utf8("user-1"),
        utf8("{\"email\":\"ada@example.org\"}"), List.of(
            new Header(EventStore.STREAM_ID, utf8("user-1")),
            new Header(EventStore.EVENT_TYPE, utf8("EmailChanged")),
            new Header(EventStore.VERSION, utf8("3"))));

    EventStore.StoredEvent event = EventStore.StoredEvent.of(record);

    assertEquals("user-1", event.streamId());
    assertEquals(3, event.version());
    assertEquals("EmailChanged", event.eventType());
    assertArrayEquals(record.value(), event.payload());
    assertEquals(1_700_000_000_000L, event.timestamp());
    assertEquals(2, event.partition());
    assertEquals(41, event.offset());
  }

  @Test
  void when_aRecordWasWrittenWithoutTheEnvelope_then_itHasNoVersionAndNoType() {
    ConsumerRecord record = new ConsumerRecord("events", 0, 7, 1L, utf8("k"), utf8("v"),
        List.of(new Header(EventStore.VERSION, utf8("not a number"))));

    EventStore.StoredEvent event = EventStore.StoredEvent.of(record);

    assertEquals(-1, event.version(), "an unreadable version header counts as none");
    assertNull(event.streamId());
    assertNull(event.eventType());
  }
}
