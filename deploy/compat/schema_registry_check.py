"""confluent-kafka's SchemaRegistryClient, JSONSerializer and JSONDeserializer against Runnel's schema registry.

Registers a JSON schema through the serializer (auto.register.schemas), produces 100 records with a
SerializingProducer, consumes them back with a DeserializingConsumer, and checks the REST client's view of the
subject: its latest version, the schema by id, compatibility tests and levels, and an Avro change refused with 409
under BACKWARD.

    python3 schema_registry_check.py BOOTSTRAP REGISTRY_URL PREFIX
"""
import json
import sys
import time

from confluent_kafka import DeserializingConsumer, SerializingProducer
from confluent_kafka.admin import AdminClient, NewTopic
from confluent_kafka.schema_registry import Schema, SchemaRegistryClient
from confluent_kafka.schema_registry.error import SchemaRegistryError
from confluent_kafka.schema_registry.json_schema import JSONDeserializer, JSONSerializer
from confluent_kafka.serialization import StringDeserializer, StringSerializer

ORDER_SCHEMA = json.dumps({
    "$schema": "http://json-schema.org/draft-07/schema#",
    "title": "Order",
    "type": "object",
    "properties": {"id": {"type": "integer"}, "item": {"type": "string"}, "price": {"type": "number"}},
    "required": ["id", "item", "price"],
})
USER = {"type": "record", "name": "User", "namespace": "com.example",
        "fields": [{"name": "id", "type": "string"}, {"name": "name", "type": "string"}]}


def fail(message):
    print("FAILED: " + message, file=sys.stderr)
    sys.exit(1)


def main(bootstrap, url, prefix):
    client = SchemaRegistryClient({"url": url})
    topic = prefix + "-orders"
    subject = topic + "-value"
    admin = AdminClient({"bootstrap.servers": bootstrap})
    admin.create_topics([NewTopic(topic, num_partitions=2, replication_factor=1)])[topic].result(30)

    producer = SerializingProducer({
        "bootstrap.servers": bootstrap,
        "key.serializer": StringSerializer("utf_8"),
        "value.serializer": JSONSerializer(ORDER_SCHEMA, client, lambda order, ctx: order),
    })
    orders = [{"id": i, "item": "item-%d" % i, "price": i * 1.5} for i in range(100)]
    for order in orders:
        producer.produce(topic, key=str(order["id"]), value=order)
    if producer.flush(30) != 0:
        fail("records left unsent")

    latest = client.get_latest_version(subject)
    if latest.version != 1 or latest.schema.schema_type != "JSON":
        fail("latest version of %s: %s %s" % (subject, latest.version, latest.schema.schema_type))
    if json.loads(client.get_schema(latest.schema_id).schema_str) != json.loads(ORDER_SCHEMA):
        fail("schema %d is not the one registered" % latest.schema_id)
    print("JSONSerializer registered %s as schema id %d" % (subject, latest.schema_id))

    consumer = DeserializingConsumer({
        "bootstrap.servers": bootstrap,
        "group.id": prefix + "-group",
        "auto.offset.reset": "earliest",
        "key.deserializer": StringDeserializer("utf_8"),
        "value.deserializer": JSONDeserializer(ORDER_SCHEMA, lambda order, ctx: order),
    })
    consumer.subscribe([topic])
    received = []
    deadline = time.time() + 60
    while len(received) < len(orders) and time.time() < deadline:
        message = consumer.poll(1.0)
        if message is None:
            continue
        if message.error():
            fail("consume: %s" % message.error())
        received.append(message.value())
    consumer.close()
    if sorted(received, key=lambda o: o["id"]) != orders:
        fail("consumed %d orders that differ from the %d produced" % (len(received), len(orders)))
    print("%d JSON records produced and consumed back through the registry's serializers" % len(orders))

    avro_subject = prefix + "-users-value"
    avro_id = client.register_schema(avro_subject, Schema(json.dumps(USER), "AVRO"))
    changed = dict(USER, fields=USER["fields"] + [{"name": "email", "type": "string"}])
    if client.test_compatibility(avro_subject, Schema(json.dumps(changed), "AVRO")):
        fail("a field without a default passed the BACKWARD test")
    try:
        client.register_schema(avro_subject, Schema(json.dumps(changed), "AVRO"))
        fail("an incompatible change was registered")
    except SchemaRegistryError as e:
        if e.http_status_code != 409:
            fail("an incompatible change answered %s %s" % (e.http_status_code, e.error_code))
    print("an incompatible Avro change was refused with 409 under BACKWARD")
    if client.set_compatibility(avro_subject, "NONE")["compatibility"] != "NONE":
        fail("set_compatibility")
    if client.register_schema(avro_subject, Schema(json.dumps(changed), "AVRO")) == avro_id:
        fail("a changed schema kept the old id")
    if client.get_versions(avro_subject) != [1, 2]:
        fail("versions of %s: %s" % (avro_subject, client.get_versions(avro_subject)))
    if client.delete_subject(avro_subject) != [1, 2]:
        fail("soft delete of %s" % avro_subject)
    print("levels, versions and deletes as confluent-kafka's client expects")


if __name__ == "__main__":
    main(*sys.argv[1:4])
