"""confluent-kafka (librdkafka) transactions against a Runnel node: consume-transform-produce with a transactional
Producer (init_transactions, begin_transaction, send_offsets_to_transaction, commit_transaction) reading its input
with a read_committed Consumer, one transaction aborted (abort_transaction) and one left open for a while; then a
read_committed Consumer of the output must see each input record transformed exactly once, nothing aborted and
nothing open, a read_uncommitted one must see the aborted records too, and the group's committed offsets must be
the input's end. Exits non-zero on the first thing that is not as it should be.

    confluent_kafka_txn_check.py BOOTSTRAP PREFIX
"""
import sys
import time

from confluent_kafka import Consumer, KafkaException, Producer, TopicPartition
from confluent_kafka.admin import AdminClient, NewTopic

bootstrap, prefix = sys.argv[1], sys.argv[2]
source, sink, group = prefix + "-in", prefix + "-out", prefix + "-processor"
count = 200


def fail(message):
    print("confluent-kafka transactions check FAILED: " + message, file=sys.stderr)
    sys.exit(1)


admin = AdminClient({"bootstrap.servers": bootstrap})
for name, future in admin.create_topics(
        [NewTopic(t, num_partitions=2, replication_factor=1) for t in (source, sink)]).items():
    future.result(30)
print("admin: created %s and %s with 2 partitions each" % (source, sink))

plain = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
for i in range(count):
    plain.produce(source, key=("key-%d" % (i % 7)).encode(), value=("record-%d" % i).encode())
if plain.flush(30) != 0:
    fail("the input was not delivered within 30 s")
print("input: %d records" % count)

producer = Producer({"bootstrap.servers": bootstrap, "transactional.id": prefix + "-txn",
                     "transaction.timeout.ms": 60000})
producer.init_transactions(30)
consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "auto.offset.reset": "earliest",
                     "enable.auto.commit": False, "isolation.level": "read_committed",
                     "session.timeout.ms": 10000})
consumer.subscribe([source])

# An aborted transaction first: its records must never reach a read_committed reader.
producer.begin_transaction()
for i in range(10):
    producer.produce(sink, key=b"aborted", value=("aborted-%d" % i).encode())
producer.flush(30)
producer.abort_transaction(30)
print("producer: a transaction of 10 records aborted")

# Consume-transform-produce, each batch with its input offsets in the producing transaction.
processed = 0
transactions = 0
deadline = time.time() + 90
while processed < count:
    if time.time() > deadline:
        fail("processed %d of %d input records in 90 s" % (processed, count))
    batch = consumer.consume(num_messages=50, timeout=2.0)
    if not batch:
        continue
    producer.begin_transaction()
    for message in batch:
        if message.error():
            raise KafkaException(message.error())
        producer.produce(sink, key=message.key(), value=message.value().upper())
    producer.send_offsets_to_transaction(consumer.position(consumer.assignment()),
                                         consumer.consumer_group_metadata(), 30)
    producer.commit_transaction(30)
    processed += len(batch)
    transactions += 1
consumer.close()
if processed != count:
    fail("the processor read %d input records, not %d" % (processed, count))
print("processor: %d records in %d committed transactions, offsets sent to each" % (processed, transactions))


def read(isolation, expect_at_least):
    reader = Consumer({"bootstrap.servers": bootstrap, "group.id": "%s-reader-%s-%d" % (prefix, isolation, time.time_ns()),
                       "auto.offset.reset": "earliest", "enable.auto.commit": False, "isolation.level": isolation})
    reader.subscribe([sink])
    values = []
    idle = 0
    while idle < 3 or len(values) < expect_at_least:
        message = reader.poll(1.0)
        if message is None:
            idle += 1
            if idle > 20:
                break
            continue
        if message.error():
            raise KafkaException(message.error())
        idle = 0
        values.append(message.value().decode())
    reader.close()
    return values


# An open transaction: invisible to read_committed until it commits.
producer.begin_transaction()
producer.produce(sink, key=b"late", value=b"LATE")
producer.flush(30)
while_open = read("read_committed", count)
expected = sorted("RECORD-%d" % i for i in range(count))
if sorted(while_open) != expected:
    fail("read_committed read %d records while a transaction was open, not the %d committed once each: %s"
         % (len(while_open), count, sorted(set(while_open) - set(expected))[:5]))
print("read_committed consumer: each of the %d records once, none aborted, the open one not yet" % count)
producer.commit_transaction(30)
after = read("read_committed", count + 1)
if sorted(after) != sorted(expected + ["LATE"]):
    fail("read_committed read %d records after the last commit, not %d" % (len(after), count + 1))
print("read_committed consumer: the last transaction visible once committed")

uncommitted = read("read_uncommitted", count + 11)
aborted = [v for v in uncommitted if v.startswith("aborted-")]
if len(aborted) != 10:
    fail("read_uncommitted saw %d of the 10 aborted records" % len(aborted))
print("read_uncommitted consumer: the 10 aborted records are there too")

check = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
committed = check.committed([TopicPartition(source, p) for p in (0, 1)], timeout=30)
ends = [check.get_watermark_offsets(TopicPartition(source, p), timeout=30)[1] for p in (0, 1)]
check.close()
if [tp.offset for tp in committed] != ends:
    fail("the group committed %s, not the input's end %s" % ([tp.offset for tp in committed], ends))
print("group %s: committed offsets %s are the input's end, committed inside the transactions" % (group, ends))
