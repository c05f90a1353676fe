import { KeyedLock } from '../../../src/leases/keyed-lock';

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

describe('KeyedLock with a cross-process lock', () => {
  it('asks it for the sorted keys once this process holds them, and runs the work inside it', async () => {
    const log: string[] = [];
    const across = {
      async withLeases<T>(keys: Iterable<string>, work: () => Promise<T>): Promise<T> {
        log.push(`lease ${[...keys].join(',')}`);
        try {
          return await work();
        } finally {
          log.push('lease released');
        }
      },
    };
    const lock = new KeyedLock(across);
    const result = await lock.withLocks(['b', 'a', 'b'], () => {
      log.push('work');
      return Promise.resolve(42);
    });
    expect(result).toBe(42);
    expect(log).toEqual(['lease a,b', 'work', 'lease released']);
  });

  it('never asks it twice at once for the same key from one process', async () => {
    let inside = 0;
    let most = 0;
    const across = {
      async withLeases<T>(_keys: Iterable<string>, work: () => Promise<T>): Promise<T> {
        inside++;
        most = Math.max(most, inside);
        try {
          await tick();
          return await work();
        } finally {
          inside--;
        }
      },
    };
    const lock = new KeyedLock(across);
    await Promise.all([1, 2, 3].map(() => lock.withLocks(['k'], () => tick())));
    expect(most).toBe(1);
  });
});
