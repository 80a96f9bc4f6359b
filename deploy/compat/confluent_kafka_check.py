"""confluent-kafka (librdkafka) against a Runnel node: an idempotent Producer with delivery callbacks, then a
Consumer with group.id reading everything from the beginning and committing, then a second consumer of the same
group that must find nothing left. Exits non-zero on the first thing that is not as it should be.

    confluent_kafka_check.py BOOTSTRAP TOPIC
"""
import sys

from confluent_kafka import Consumer, KafkaException, Producer
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap, topic = sys.argv[1], sys.argv[2]
group = topic + "-group"
count = 300


def fail(message):
    print("confluent-kafka check FAILED: " + message, file=sys.stderr)
    sys.exit(1)


admin = AdminClient({"bootstrap.servers": bootstrap})
for name, future in admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)]).items():
    future.result(30)
print("admin: created %s with 3 partitions" % topic)

delivered = []
errors = []


def on_delivery(error, message):
    if error is not None:
        errors.append(error)
    else:
        delivered.append((message.partition(), message.offset()))


producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True, "acks": "all"})
for i in range(count):
    producer.produce(topic, key=("key-%d" % (i % 17)).encode(), value=("value-%d" % i).encode(),
                     on_delivery=on_delivery)
    producer.poll(0)
if producer.flush(30) != 0:
    fail("producer did not deliver everything within 30 s")
if errors or len(delivered) != count:
    fail("delivered %d of %d, errors %s" % (len(delivered), count, errors))
print("producer: %d records delivered (idempotent, acks=all) to partitions %s"
      % (count, sorted({p for p, _ in delivered})))


def consume(expect):
    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                         "enable.auto.commit": False, "session.timeout.ms": 10000})
    consumer.subscribe([topic])
    seen = []
    idle = 0
    while len(seen) < expect or idle < 3:
        message = consumer.poll(2.0)
        if message is None:
            idle += 1
            if idle > 15:
                break
            continue
        if message.error():
            raise KafkaException(message.error())
        idle = 0
        seen.append(message.value().decode())
        consumer.commit(message=message, asynchronous=False)
        if len(seen) >= expect and expect > 0:
            break
    consumer.close()
    return seen


first = consume(count)
if sorted(first) != sorted("value-%d" % i for i in range(count)):
    fail("the group read %d records, not each of the %d once" % (len(first), count))
print("consumer group %s: read all %d records once, committed" % (group, count))
again = consume(0)
if again:
    fail("a later member of the group read %d records again" % len(again))
print("consumer group %s: a later member starts from the commits and reads nothing again" % group)
