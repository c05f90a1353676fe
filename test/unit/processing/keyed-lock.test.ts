import { KeyedLock } from '../../../src/processing/keyed-lock';

const tick = () => new Promise((resolve) => setImmediate(resolve));

describe('KeyedLock', () => {
  it('runs holders of the same key one after another, in arrival order', async () => {
    const lock = new KeyedLock();
    const log: string[] = [];
    const holder = (name: string) =>
      lock.withLocks(['sub-1'], async () => {
        log.push(`${name} in`);
        await tick();
        log.push(`${name} out`);
      });
    await Promise.all([holder('a'), holder('b'), holder('c')]);
    expect(log).toEqual(['a in', 'a out', 'b in', 'b out', 'c in', 'c out']);
  });

  it('lets different keys run at once, and never deadlocks on overlapping key sets', async () => {
    const lock = new KeyedLock();
    const inside = new Set<string>();
    let overlapSeen = false;
    const holder = (name: string, keys: string[]) =>
      lock.withLocks(keys, async () => {
        inside.add(name);
        if (inside.has('x') && inside.has('y')) overlapSeen = true;
        await tick();
        inside.delete(name);
      });
    await Promise.all([holder('x', ['a']), holder('y', ['b'])]);
    expect(overlapSeen).toBe(true);
    await expect(Promise.all([holder('p', ['a', 'b']), holder('q', ['b', 'a'])])).resolves.toHaveLength(2);
  });

  it('releases the lock when the work throws', async () => {
    const lock = new KeyedLock();
    await expect(lock.withLocks(['k'], () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    await expect(lock.withLocks(['k'], () => Promise.resolve('next'))).resolves.toBe('next');
  });
});
