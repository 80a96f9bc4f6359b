package dev.runnel.broker.schema;

import dev.runnel.broker.CborSerializable;
import java.util.List;

/**
 * What a write answers once stored: the schema id of a registration, the version numbers of a deletion, the level of
 * a config change. The fields not of that write are null. Crosses nodes from the writer singleton (Jackson CBOR).
 */
public record WriteAnswer(Integer id, List<Integer> versions, CompatibilityLevel level) implements CborSerializable {}
