"""kafka-python consumer groups against a Runnel node: two consumers in one group split the partitions and read
every record once with manual commits; a later member of the group starts from the commits; the admin client lists
and describes the group and its offsets.

Usage: kafka_python_group_check.py HOST:PORT TOPIC_PREFIX. Exits non-zero, saying why, on the first failure.
"""
import sys
import threading
import time

from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic

COUNT = 400
PARTITIONS = 4


def check(condition, message):
    if not condition:
        print("FAILED: " + message, file=sys.stderr)
        sys.exit(1)


def consumer(bootstrap, group, **extra):
    return KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False,
                         auto_offset_reset="earliest", session_timeout_ms=10000, heartbeat_interval_ms=1000,
                         value_deserializer=lambda b: b.decode("utf-8"), **extra)


def main():
    bootstrap, prefix = sys.argv[1], sys.argv[2]
    topic, group = prefix + "-grouped", prefix + "-group"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="compat-group-admin")
    admin.create_topics([NewTopic(topic, num_partitions=PARTITIONS, replication_factor=1)])
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all")
    for i in range(COUNT):
        producer.send(topic, value=("v%d" % i).encode("utf-8"), partition=i % PARTITIONS)
    producer.flush(timeout=60)
    producer.close()

    # A kafka-python consumer blocks in poll() while its group rebalances, so each member polls on its own thread.
    counts, lock, stop = {}, threading.Lock(), threading.Event()
    members = [consumer(bootstrap, group), consumer(bootstrap, group)]

    def run(member):
        member.subscribe([topic])
        while not stop.is_set():
            batches = member.poll(timeout_ms=200)
            with lock:
                for records in batches.values():
                    for record in records:
                        counts[record.value] = counts.get(record.value, 0) + 1
            if batches:
                member.commit()

    threads = [threading.Thread(target=run, args=(member,), daemon=True) for member in members]
    for thread in threads:
        thread.start()
    deadline = time.time() + 90
    sizes = []
    while time.time() < deadline:
        sizes = [len(member.assignment()) for member in members]
        with lock:
            if len(counts) == COUNT and sorted(sizes) == [2, 2]:
                break
        time.sleep(0.2)
    check(sorted(sizes) == [2, 2], "two members split %d partitions: %s" % (PARTITIONS, sizes))
    check(len(counts) == COUNT, "the group read %d of %d records" % (len(counts), COUNT))
    twice = [v for v, n in counts.items() if n > 1]
    check(not twice, "records read more than once: %s" % twice[:5])
    print("group: two kafka-python consumers split %d partitions %s and read %d records once"
          % (PARTITIONS, sizes, COUNT))

    groups = [g[0] for g in admin.list_consumer_groups()]
    check(group in groups, "the admin client lists %s: %s" % (group, groups))
    described = admin.describe_consumer_groups([group])[0]
    check(described.state == "Stable" and len(described.members) == 2,
          "the group is Stable with two members: %s" % (described,))
    offsets = admin.list_consumer_group_offsets(group)
    check(sum(o.offset for o in offsets.values()) == COUNT, "committed offsets add up to %d: %s" % (COUNT, offsets))
    print("admin: %s listed, described Stable with 2 members, offsets add up to %d" % (group, COUNT))
    stop.set()
    for thread in threads:
        thread.join(30)
    for member in members:
        member.close()

    late = consumer(bootstrap, group, consumer_timeout_ms=3000)
    late.subscribe([topic])
    again = [record.value for record in late]
    late.close()
    check(not again, "a later member starts from the commits, yet read %d records" % len(again))
    print("group: a later member starts from the committed offsets and reads nothing again")
    admin.close()


if __name__ == "__main__":
    main()
