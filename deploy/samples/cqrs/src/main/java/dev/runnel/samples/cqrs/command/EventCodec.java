package dev.runnel.samples.cqrs.command;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.runnel.client.EventStore;
import java.io.IOException;
import java.util.HashMap;
import java.util.Map;

/**
 * Events of one sealed family to and from the EventStore's envelope: {@code event_type} is the event record's simple
 * name, the payload its JSON. Names are part of the stored format: renaming an event record needs an upcaster.
 * Thread-safe.
 */
public final class EventCodec<E> {

  private final ObjectMapper json;
  private final Map<String, Class<? extends E>> types = new HashMap<>();

  private EventCodec(Class<E> family, ObjectMapper json) {
    this.json = json;
    for (Class<?> type : family.getPermittedSubclasses()) {
      types.put(type.getSimpleName(), type.asSubclass(family));
    }
  }

  /** The codec of {@code family}'s permitted records. */
  public static <E> EventCodec<E> of(Class<E> family, ObjectMapper json) {
    if (!family.isSealed()) {
      throw new IllegalArgumentException(family + " must be sealed: its permitted records are the event types");
    }
    return new EventCodec<>(family, json);
  }

  public EventStore.Event encode(E event) {
    try {
      return new EventStore.Event(event.getClass().getSimpleName(), json.writeValueAsBytes(event));
    } catch (IOException e) {
      throw new IllegalStateException("cannot write " + event + " as JSON", e);
    }
  }

  /** The event a stored envelope holds; an unknown type or unreadable payload is a bug, never skipped. */
  public E decode(String eventType, byte[] payload) {
    Class<? extends E> type = types.get(eventType);
    if (type == null) {
      throw new IllegalStateException("unknown event type " + eventType + " (known: " + types.keySet() + ")");
    }
    try {
      return json.readValue(payload, type);
    } catch (IOException e) {
      throw new IllegalStateException("unreadable " + eventType + " payload", e);
    }
  }

  public E decode(EventStore.StoredEvent event) {
    return decode(event.eventType(), event.payload());
  }
}
