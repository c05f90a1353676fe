import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { fileImports, importCycles, importGraph, PRODUCT_ROOTS, unitOf } from '../../../tools/layout/import-graph';
import { orderViolations, unplacedUnits } from '../../../tools/layout/layer-rules';
import { LAYERS, type Layer, layerOf } from '../../../tools/layout/layers';
import { layoutTable, withLayoutTable } from '../../../tools/layout/layout-table';

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

  it('gives every folder and top-level file a layer (tools/layout/layers.ts), and every layer path exists', () => {
    expect(unplacedUnits(graph)).toEqual([]);
    expect(LAYERS.flatMap(({ paths }) => paths).filter((p) => !fs.existsSync(path.join(root, p)))).toEqual([]);
  });

  it('imports no layer listed after the importing file’s own (docs/architecture.md, "Layout")', () => {
    expect(orderViolations(fileImports(root))).toEqual([]);
  });

  it('has the layout table in docs/architecture.md up to date (regenerate with npm run docs:layout)', () => {
    const doc = fs.readFileSync(path.join(root, 'docs', 'architecture.md'), 'utf8');
    expect(doc).toBe(withLayoutTable(doc, layoutTable(graph)));
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

  describe('on a planted violation (the check itself)', () => {
    const layers: Layer[] = [
      { paths: ['src/low/', 'src/util.ts'], job: 'imported by the rest' },
      { paths: ['src/high/'], job: 'imports the rest' },
      { paths: ['tools/'], job: 'tooling' },
    ];
    let planted: string;

    beforeAll(() => {
      planted = fs.mkdtempSync(path.join(os.tmpdir(), 'layout-'));
      const write = (file: string, text: string): void => {
        fs.mkdirSync(path.dirname(path.join(planted, file)), { recursive: true });
        fs.writeFileSync(path.join(planted, file), text);
      };
      write('src/util.ts', 'export const one = 1;\n');
      write('src/high/h.ts', "import { one } from '../util';\nimport { L } from '../low/l';\nexport const h = one + L;\n");
      // Each of these reaches up: a static, a type-only and a dynamic import, and a require.
      write(
        'src/low/l.ts',
        [
          "import { h } from '../high/h';",
          "import type { T } from '../high/types';",
          "export const later = () => import('../high/lazy');",
          "export const required = () => require('../high/required');",
          "import { tool } from '../../tools/t';",
          'export const L = 2;',
        ].join('\n'),
      );
      write('src/high/types.ts', 'export type T = number;\n');
      write('src/high/lazy.ts', 'export {};\n');
      write('src/high/required.ts', 'export {};\n');
      write('src/stray.ts', 'export {};\n');
      write('tools/t.ts', "import { h } from '../src/high/h';\nexport const tool = h;\n");
    });

    afterAll(() => fs.rmSync(planted, { recursive: true, force: true }));

    it('names the file, the import and both layers of each import that reaches a later layer', () => {
      const rule = 'layer 1 (src/low/, src/util.ts) may not import layer 2 (src/high/), listed after it in tools/layout/layers.ts';
      expect(orderViolations(fileImports(planted), layers)).toEqual([
        `src/low/l.ts imports '../high/h' (src/high): ${rule}`,
        `src/low/l.ts imports '../high/types' (src/high): ${rule}`,
        `src/low/l.ts imports '../high/lazy' (src/high): ${rule}`,
        `src/low/l.ts imports '../high/required' (src/high): ${rule}`,
      ]);
    });

    it('reports a unit that no layer holds', () => {
      expect(unplacedUnits(importGraph(planted), layers)).toEqual(['src/stray']);
      expect(layerOf('tools/stack', layers)).toBe(2);
      expect(layerOf('src/util', layers)).toBe(0);
    });

    it('writes the imports column from the graph, in the table’s order', () => {
      const table = layoutTable(importGraph(planted), layers);
      expect(table.split('\n')).toEqual([
        '| folder                    | its job              | imports       |',
        '| ------------------------- | -------------------- | ------------- |',
        '| `src/low/`, `src/util.ts` | imported by the rest | high, tools/t |',
        '| `src/high/`               | imports the rest     | low, util     |',
        '| `tools/`                  | tooling              | high          |',
      ]);
    });
  });
});
