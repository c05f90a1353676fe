import { once, runEveryStep, Teardown } from '../../../src/teardown';

describe('teardown', () => {
  it('runs every step even when one fails, then names each failure', async () => {
    const ran: string[] = [];
    const failing = runEveryStep([
      ['a', () => ran.push('a')],
      [
        'b',
        () => {
          throw new Error('b broke');
        },
      ],
      ['c', () => Promise.reject(new Error('c broke'))],
      ['d', () => ran.push('d')],
    ]);
    await expect(failing).rejects.toThrow('shutdown: b, c failed');
    expect(ran).toEqual(['a', 'd']);
  });

  it('closes newest first, once however often it is asked', async () => {
    const closed: string[] = [];
    const teardown = new Teardown();
    const mongo = await teardown.open('mongodb', Promise.resolve('conn'), (resource) => closed.push(`mongodb:${resource}`));
    teardown.add('redis', () => closed.push('redis'));
    await teardown.open('kafka', Promise.resolve(1), () => closed.push('kafka'));
    expect(mongo).toBe('conn');
    await Promise.all([teardown.close(), teardown.close()]);
    await teardown.close();
    expect(closed).toEqual(['kafka', 'redis', 'mongodb:conn']);
  });

  it('registers nothing for a resource that failed to open, and still closes the others', async () => {
    const closed: string[] = [];
    const teardown = new Teardown();
    teardown.add('mongodb', () => closed.push('mongodb'));
    await expect(teardown.open('kafka', Promise.reject(new Error('refused')), () => closed.push('kafka'))).rejects.toThrow('refused');
    await teardown.close();
    expect(closed).toEqual(['mongodb']);
  });

  it("once: every caller after the first gets the first call's promise", async () => {
    let calls = 0;
    const stop = once(() => {
      calls += 1;
      return Promise.resolve();
    });
    await Promise.all([stop(), stop()]);
    expect(calls).toBe(1);
  });
});
