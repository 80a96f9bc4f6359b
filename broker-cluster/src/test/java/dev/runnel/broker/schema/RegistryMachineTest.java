package dev.runnel.broker.schema;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/**
 * The registry's decisions as pure functions of a state, and the records they become in {@code _schemas}: every
 * change round-trips through the topic's JSON, and a state rebuilt from the records decides as the original did.
 */
@Timeout(value = 30, unit = TimeUnit.SECONDS)
class RegistryMachineTest {

  private static final SchemaDraft V1 = new SchemaDraft(SchemaType.AVRO, SchemaRegistryApiTest.USER_V1, null);
  private static final SchemaDraft V2 = new SchemaDraft(SchemaType.AVRO, SchemaRegistryApiTest.USER_V2, null);
  private static final SchemaDraft BAD = new SchemaDraft(SchemaType.AVRO, SchemaRegistryApiTest.USER_BAD, null);

  /** Applies a decision's changes, as the writer does once they are stored. */
  private static RegistryMachine.Decision apply(RegistryState state, RegistryMachine.Decision decision) {
    decision.changes().forEach(state::apply);
    return decision;
  }

  private static RegistryMachine.Decision register(RegistryState state, String subject, SchemaDraft draft) {
    return RegistryMachine.register(state, subject, draft, CompatibilityLevel.BACKWARD);
  }

  @Test
  void when_contentIsNew_then_nextIdAndVersionAndTheCounterMoves() {
    RegistryState state = new RegistryState();
    RegistryMachine.Decision first = apply(state, register(state, "a", V1));
    assertEquals(1, first.answer().id());
    assertTrue(first.changes().contains(new Change.IdsAllocated(1)), "the counter is written with a new id");
    RegistryMachine.Decision same = register(state, "a", V1);
    assertEquals(List.of(), same.changes(), "the same content again changes nothing");
    RegistryMachine.Decision shared = apply(state, register(state, "b", V1));
    assertEquals(1, shared.answer().id(), "the same content under another subject shares the id");
    assertFalse(shared.changes().stream().anyMatch(c -> c instanceof Change.IdsAllocated), "no new id given out");
    RegistryMachine.Decision second = apply(state, register(state, "a", V2));
    assertEquals(2, second.answer().id());
    assertEquals(2, state.versions("a").lastKey());
  }

  @Test
  void when_levelIsTransitive_then_everyLiveVersionIsChecked() {
    RegistryState state = new RegistryState();
    apply(state, RegistryMachine.register(state, "s", V1, CompatibilityLevel.NONE));
    apply(state, RegistryMachine.register(state, "s", BAD, CompatibilityLevel.NONE));
    // BAD's "phone" has no default: a reader with it cannot read V1's data, but it can read BAD's own.
    SchemaDraft withPhone = new SchemaDraft(SchemaType.AVRO, SchemaRegistryApiTest.USER_BAD.replace(
        "{\"name\":\"phone\",\"type\":\"string\"}", "{\"name\":\"phone\",\"type\":\"string\"},"
            + "{\"name\":\"age\",\"type\":\"int\",\"default\":0}"), null);
    assertEquals(3, apply(state, RegistryMachine.register(state, "s", withPhone, CompatibilityLevel.BACKWARD))
        .answer().id(), "BACKWARD checks the latest version only");
    RegistryException refused = assertThrows(RegistryException.class, () -> RegistryMachine.register(state, "s",
        new SchemaDraft(SchemaType.AVRO, withPhone.schema().replace("\"default\":0", "\"default\":1"), null),
        CompatibilityLevel.BACKWARD_TRANSITIVE));
    assertEquals(409, refused.error().errorCode(), "BACKWARD_TRANSITIVE also checks version 1");
  }

  @Test
  void when_changesAreWrittenAndReadBack_then_theStateIsTheSame() {
    RegistryState state = new RegistryState();
    List<Change> log = new java.util.ArrayList<>();
    java.util.function.Consumer<RegistryMachine.Decision> record = decision -> {
      decision.changes().forEach(state::apply);
      log.addAll(decision.changes());
    };
    record.accept(RegistryMachine.register(state, "a", V1, CompatibilityLevel.BACKWARD));
    record.accept(RegistryMachine.register(state, "a", V2, CompatibilityLevel.BACKWARD));
    SchemaDraft referring = new SchemaDraft(SchemaType.AVRO, "{\"type\":\"record\",\"name\":\"Box\",\"fields\":["
        + "{\"name\":\"user\",\"type\":\"com.example.User\"}]}",
        List.of(new SchemaReference("com.example.User", "a", 1)));
    record.accept(RegistryMachine.register(state, "box", referring, CompatibilityLevel.BACKWARD));
    record.accept(RegistryMachine.register(state, "j", new SchemaDraft(SchemaType.JSON, "{\"type\":\"string\"}", null),
        CompatibilityLevel.BACKWARD));
    record.accept(RegistryMachine.setConfig("a", CompatibilityLevel.FULL));
    record.accept(RegistryMachine.setConfig(null, CompatibilityLevel.NONE));
    record.accept(RegistryMachine.deleteVersion(state, "a", "2", false));
    record.accept(RegistryMachine.deleteVersion(state, "a", "2", true));
    record.accept(RegistryMachine.deleteConfig(state, null, CompatibilityLevel.BACKWARD));

    RegistryState replayed = new RegistryState();
    for (Change change : log) {
      SchemaLogCodec.Encoded encoded = SchemaLogCodec.encode(change);
      Change read = SchemaLogCodec.decode(ByteBuffer.wrap(encoded.key()),
          encoded.value() == null ? null : ByteBuffer.wrap(encoded.value())).orElseThrow();
      assertEquals(change, read, "round trip of " + change);
      replayed.apply(read);
    }
    assertEquals(state.subjects(true), replayed.subjects(true));
    assertEquals(state.versions("a"), replayed.versions("a"));
    assertEquals(state.versions("box"), replayed.versions("box"));
    assertEquals(state.lastId(), replayed.lastId());
    assertEquals(state.subjectLevel("a"), replayed.subjectLevel("a"));
    assertEquals(state.globalLevel(), replayed.globalLevel());
    assertEquals(List.of(3), replayed.referencedBy("a", 1));
  }

  @Test
  void when_aRecordIsNotTheRegistrys_then_itIsSkipped() {
    assertTrue(SchemaLogCodec.decode(ByteBuffer.wrap("not json".getBytes()), null).isEmpty());
    assertTrue(SchemaLogCodec.decode(ByteBuffer.wrap("{\"keytype\":\"NOOP\"}".getBytes()), null).isEmpty());
    assertTrue(SchemaLogCodec.decode(null, ByteBuffer.wrap("{}".getBytes())).isEmpty());
  }
}
