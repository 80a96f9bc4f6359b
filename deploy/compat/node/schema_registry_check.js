// kafkajs and @kafkajs/confluent-schema-registry (Avro through avsc) against Runnel: the seed's User schema is
// registered, 100 records are encoded with it, produced and consumed back through Runnel's Kafka port and decoded by
// a second registry client that knows nothing yet (so it fetches the schema by id); an incompatible change under
// the default BACKWARD level is refused with the registry's 409.
//   node schema_registry_check.js BOOTSTRAP REGISTRY_URL PREFIX
'use strict';
const assert = require('assert');
const { Kafka, logLevel } = require('kafkajs');
const { SchemaRegistry, SchemaType } = require('@kafkajs/confluent-schema-registry');

const [bootstrap, registryUrl, prefix] = process.argv.slice(2);
const USER = {
  type: 'record', name: 'User', namespace: 'com.example',
  fields: [{ name: 'id', type: 'string' }, { name: 'name', type: 'string' }, { name: 'email', type: 'string' }],
};

async function main() {
  const writer = new SchemaRegistry({ host: registryUrl });
  const subject = `${prefix}-users-value`;
  const { id } = await writer.register({ type: SchemaType.AVRO, schema: JSON.stringify(USER) }, { subject });
  const again = await writer.register({ type: SchemaType.AVRO, schema: JSON.stringify(USER) }, { subject });
  assert.strictEqual(again.id, id, 'the same schema registered again keeps its id');
  assert.strictEqual(await writer.getLatestSchemaId(subject), id, 'the latest version holds it');
  console.log(`registered ${subject} as schema id ${id}`);

  const phone = { ...USER, fields: [...USER.fields, { name: 'phone', type: 'string' }] };
  await assert.rejects(writer.register({ type: SchemaType.AVRO, schema: JSON.stringify(phone) }, { subject }),
    (e) => e.status === 409, 'a field without a default is refused under BACKWARD with 409');
  console.log('an incompatible change was refused with 409');

  const kafka = new Kafka({ clientId: 'runnel-compat', brokers: [bootstrap], logLevel: logLevel.WARN });
  const topic = `${prefix}-users`;
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({ topics: [{ topic, numPartitions: 2 }], waitForLeaders: true });
  await admin.disconnect();

  const users = Array.from({ length: 100 }, (_, i) => ({ id: `u${i}`, name: `User ${i}`, email: `u${i}@example.com` }));
  const producer = kafka.producer();
  await producer.connect();
  const messages = await Promise.all(users.map(async (u) => ({ key: u.id, value: await writer.encode(id, u) })));
  await producer.send({ topic, messages });
  await producer.disconnect();
  const first = messages[0].value;
  assert.strictEqual(first.readUInt8(0), 0, 'Confluent framing: magic byte 0');
  assert.strictEqual(first.readInt32BE(1), id, 'Confluent framing: the schema id');

  const reader = new SchemaRegistry({ host: registryUrl });
  const consumer = kafka.consumer({ groupId: `${prefix}-group` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const received = [];
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${received.length} of ${users.length} records in 60 s`)),
      60000);
    consumer.run({
      eachMessage: async ({ message }) => {
        received.push(await reader.decode(message.value));
        if (received.length === users.length) {
          clearTimeout(timer);
          resolve();
        }
      },
    }).catch(reject);
  });
  await consumer.disconnect();
  const byId = (a, b) => a.id.localeCompare(b.id);
  assert.deepStrictEqual(received.map((u) => ({ ...u })).sort(byId), users.slice().sort(byId));
  console.log(`${users.length} Avro records produced, consumed and decoded with schema id ${id}`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
