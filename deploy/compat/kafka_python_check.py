"""kafka-python against a Runnel node: admin, JSON producer with callbacks, consumer from the earliest offset.

Usage: kafka_python_check.py HOST:PORT TOPIC_PREFIX. Exits non-zero, saying why, on the first failure.
"""
import json
import sys
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic

COUNT = 500


def check(condition, message):
    if not condition:
        print("FAILED: " + message, file=sys.stderr)
        sys.exit(1)


def main():
    bootstrap, prefix = sys.argv[1], sys.argv[2]
    topic = prefix + "-json"
    doomed = prefix + "-doomed"

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="compat-admin")
    admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1),
                         NewTopic(doomed, num_partitions=1, replication_factor=1)])
    listed = set(admin.list_topics())
    check(topic in listed and doomed in listed, "created topics are listed: %s" % sorted(listed))
    print("admin: created %s and %s" % (topic, doomed))

    acked, failed = [], []
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all",
                             key_serializer=lambda k: json.dumps(k).encode("utf-8"),
                             value_serializer=lambda v: json.dumps(v).encode("utf-8"))
    for i in range(COUNT):
        future = producer.send(topic, key={"id": i % 10}, value={"n": i, "text": "record %d" % i})
        future.add_callback(lambda metadata: acked.append(metadata))
        future.add_errback(lambda error: failed.append(error))
    producer.flush(timeout=60)
    producer.close()
    check(not failed, "no send failed: %s" % failed[:3])
    check(len(acked) == COUNT, "every send acknowledged (%d of %d)" % (len(acked), COUNT))
    print("producer: %d JSON records acknowledged through callbacks" % len(acked))

    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=None,
                             auto_offset_reset="earliest", consumer_timeout_ms=5000,
                             key_deserializer=lambda b: json.loads(b.decode("utf-8")),
                             value_deserializer=lambda b: json.loads(b.decode("utf-8")))
    seen = {}
    for record in consumer:
        seen[record.value["n"]] = record
        if len(seen) == COUNT:
            break
    consumer.close()
    check(len(seen) == COUNT, "consumer read %d of %d records" % (len(seen), COUNT))
    for n, record in seen.items():
        check(record.key == {"id": n % 10}, "key of record %d" % n)
        check(record.value["text"] == "record %d" % n, "value of record %d" % n)
    print("consumer: read all %d records back from the earliest offset" % COUNT)

    admin.delete_topics([doomed, topic])
    # The node's topic listing is replicated state: give a deletion a moment to show.
    for _ in range(50):
        remaining = set(admin.list_topics())
        if doomed not in remaining and topic not in remaining:
            break
        time.sleep(0.2)
    check(doomed not in remaining and topic not in remaining, "deleted topics are gone: %s" % sorted(remaining))
    admin.close()
    print("admin: deleted %s and %s" % (doomed, topic))


if __name__ == "__main__":
    main()
