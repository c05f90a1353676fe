import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

import { benchRuntime, childArgs, childNodeFlags, imageNodeFlags, repoRoot } from '../../../bench/child';

describe('how the bench starts its children', () => {
  it('runs compiled JavaScript unless told tsx, and refuses anything else', () => {
    expect(benchRuntime(undefined)).toBe('compiled');
    expect(benchRuntime('')).toBe('compiled');
    expect(benchRuntime('tsx')).toBe('tsx');
    expect(() => benchRuntime('ts-node')).toThrow('BENCH_RUNTIME');
  });

  it('takes the node flags of the image’s CMD, those before the script only', () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-child-'));
    try {
      const file = path.join(dir, 'Dockerfile');
      fs.writeFileSync(
        file,
        'FROM node:24 AS build\nCMD ["node", "x.js"]\nFROM node:24\nCMD ["node", "--a=1", "--b", "dist/main.js", "--c"]\n',
      );
      expect(imageNodeFlags(file)).toEqual(['--a=1', '--b']);
      fs.writeFileSync(file, 'FROM node:24\nCMD ["bash", "start.sh"]\n');
      expect(() => imageNodeFlags(file)).toThrow('does not start with node');
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  it('gives every child the image’s flags unless BENCH_NODE_FLAGS replaces them (empty: none)', () => {
    expect(childNodeFlags(undefined)).toEqual(imageNodeFlags());
    expect(childNodeFlags('')).toEqual([]);
    expect(childNodeFlags(' --x=1  --y ')).toEqual(['--x=1', '--y']);
  });

  it('starts the compiled script, or the TypeScript under tsx, after the flags', () => {
    expect(childArgs('worker-process.ts', 'compiled', ['--f'])).toEqual([
      '--f',
      path.join(repoRoot, 'test-output', 'bench-build', 'bench', 'worker-process.js'),
    ]);
    expect(childArgs('worker-process.ts', 'tsx', [])).toEqual(['--import', 'tsx', path.join(repoRoot, 'bench', 'worker-process.ts')]);
  });
});
