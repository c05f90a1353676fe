import mongoose from 'mongoose';

import { generateMix } from '../../../bench/event-mix';
import { decide, hexDigest, linkRecords, type ChainedRecord, type ChainHead, type Subscription } from '../../../src/domain';
import { sha256Bytes } from '../../../src/proof/digest';
import { stableId } from '../../../src/storage/ids';
import { testPolicy } from '../../support/factories';

const bson = (value: object): number => mongoose.mongo.BSON.calculateObjectSize(value);

/** The audit records the benchmark's mix makes, with the ids the commit path gives them, unlinked. */
function recordsOfMix(): ChainedRecord[] {
  const policy = testPolicy({ dedupeWindow: 16 });
  const states = new Map<string, Subscription | null>();
  return generateMix({ seed: 1, events: 2_000, subscriptions: 100, prefix: 'sub-0f8e6d1c-2b3a-4c5d-8e9f-a0b1c2d3e4f5' }).map(
    ({ command }) => {
      const decision = decide(states.get(command.subscriptionId) ?? null, command, policy, command.occurredAt);
      states.set(command.subscriptionId, decision.state);
      return { _id: stableId('audit', command.subscriptionId, command.eventId, decision.outcome), ...decision.audit };
    },
  );
}

/** Links each subscription's records as the chain did before issue 21: `sha256:<hex>`, each record with its hash. */
function linkedAsBefore(records: readonly ChainedRecord[]): ChainedRecord[] {
  const heads = new Map<string, ChainHead>();
  return records.map((record) => {
    const head = heads.get(record.subscriptionId);
    const chain = { seq: (head?.seq ?? 0) + 1, prev: head?.hash ?? null };
    const hash = hexDigest(sha256Bytes({ ...record, chain }));
    heads.set(record.subscriptionId, { seq: chain.seq, hash });
    return { ...record, chain: { ...chain, hash } };
  });
}

function linkedNow(records: readonly ChainedRecord[]): ChainedRecord[] {
  const heads = new Map<string, ChainHead | null>();
  return records.map((record) => {
    const linked = linkRecords([record], heads.get(record.subscriptionId) ?? null, sha256Bytes);
    heads.set(record.subscriptionId, linked.head);
    return linked.records[0]!;
  });
}

const median = (values: readonly number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe('what the audit chain adds to a stored audit record (issue 21), in BSON bytes', () => {
  const plain = recordsOfMix();
  const before = linkedAsBefore(plain);
  const now = linkedNow(plain);
  const added = (linked: readonly ChainedRecord[]): number[] => linked.map((record, index) => bson(record) - bson(plain[index]!));

  it('is 75 B per record linked after another (seq and a base64url prev), down from 185 B (seq, prev and hash in hex)', () => {
    const afterAnother = (linked: readonly ChainedRecord[]) => added(linked).filter((_bytes, index) => linked[index]?.chain?.prev !== null);
    expect(new Set(afterAnother(before))).toEqual(new Set([185]));
    expect(new Set(afterAnother(now))).toEqual(new Set([75]));
  });

  it('makes the median record of the benchmark mix 110 B smaller', () => {
    const [unchained, old, lean] = [plain, before, now].map((records) => median(records.map(bson)));
    // Measured (seed 1): 416 B unchained, 598 B with the chain as it was, 488 B now.
    expect({ unchained, old, lean }).toEqual({ unchained: 416, old: 598, lean: 488 });
  });

  it("shrinks the subscription's stored head by the same 28 B a digest loses", () => {
    const head = (hash: string) => bson({ auditHead: { seq: 1_000, hash } });
    const last = now.at(-1)!;
    const leanHead = linkRecords([{ ...last, chain: undefined }], { seq: 999, hash: last.chain!.prev! }, sha256Bytes).head!;
    expect(head(hexDigest(Buffer.from(leanHead.hash, 'base64url'))) - head(leanHead.hash)).toBe(28);
  });
});
