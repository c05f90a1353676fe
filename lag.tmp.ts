import { Kafka, logLevel } from 'kafkajs';
import mongoose from 'mongoose';
async function main() {
  const kafka = new Kafka({ brokers: ['127.0.0.1:39192'], logLevel: logLevel.NOTHING });
  const admin = kafka.admin(); await admin.connect();
  const groups = (await admin.listGroups()).groups.filter(g => g.groupId.startsWith('kill-') && !g.groupId.includes('dlq')).map(g => g.groupId);
  for (const g of groups) {
    const d = await admin.describeGroups([g]);
    const offs = await admin.fetchOffsets({ groupId: g });
    const lags: string[] = [];
    for (const t of offs) {
      const hi = await admin.fetchTopicOffsets(t.topic);
      lags.push(t.topic.split('-')[1] + ':' + t.partitions.map(p => Number(hi.find(h => h.partition === p.partition)?.high) - Number(p.offset)).join(','));
    }
    console.log(g, d.groups[0]?.state, d.groups[0]?.members.length, lags.join(' '));
    const conn = await mongoose.createConnection(`mongodb://127.0.0.1:37117/rel-${g}`, { socketTimeoutMS: 20000 }).asPromise();
    console.log('  pending', await conn.collection('subscriptions').countDocuments({ 'outbox.0': { $exists: true } }), 'audits', await conn.collection('audit_records').countDocuments({}));
    await conn.close();
  }
  await admin.disconnect();
}
main();
