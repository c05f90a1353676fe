import path from 'node:path';

import { importCycles, importGraph, PRODUCT_ROOTS, unitOf } from '../../../tools/layout/import-graph';

const root = path.resolve(__dirname, '..', '..', '..');

describe('the folder layout', () => {
  const graph = importGraph(root);

  it('has no import cycles between folders', () => {
    expect(importCycles(graph)).toEqual([]);
  });

  it('keeps product code free of tools, tests and benchmarks', () => {
    const product = [...graph].filter(([unit]) => PRODUCT_ROOTS.some((dir) => unit === dir || unit.startsWith(`${dir}/`)));
    const leaks = product.flatMap(([unit, edges]) =>
      [...edges].filter((to) => /^(tools|test|bench)\b/.test(to)).map((to) => `${unit} -> ${to}`),
    );
    expect(leaks).toEqual([]);
  });

  it('finds a cycle when there is one (the check itself)', () => {
    const circular = new Map([
      ['src/a', new Set(['src/b'])],
      ['src/b', new Set(['src/c'])],
      ['src/c', new Set(['src/a'])],
      ['src/d', new Set(['src/a'])],
    ]);
    expect(importCycles(circular)).toEqual([['src/a', 'src/b', 'src/c']]);
    expect(unitOf('src/kafka/partition-runner.ts')).toBe('src/kafka');
    expect(unitOf('src/app.ts')).toBe('src/app');
    expect(unitOf('jobs/job.ts')).toBe('jobs');
  });
});
