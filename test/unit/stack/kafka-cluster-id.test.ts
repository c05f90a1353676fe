import { newClusterId } from '../../../tools/stack/kafka.service';

describe('the local Kafka cluster id', () => {
  it('never starts with "-", which kafka-storage would read as an option', () => {
    // 0xf8 makes the first base64url character '-' (index 62); the second draw does not.
    const draws = [Buffer.alloc(16, 0xf8), Buffer.alloc(16, 0x11)];
    const id = newClusterId(() => draws.shift() ?? Buffer.alloc(16));
    expect(Buffer.alloc(16, 0xf8).toString('base64url').startsWith('-')).toBe(true);
    expect(id).toBe(Buffer.alloc(16, 0x11).toString('base64url'));
    expect(draws).toEqual([]);
  });

  it('is 22 base64url characters (16 bytes), as kafka-storage random-uuid prints', () => {
    expect(newClusterId()).toMatch(/^[A-Za-z0-9_][A-Za-z0-9_-]{21}$/);
  });
});
