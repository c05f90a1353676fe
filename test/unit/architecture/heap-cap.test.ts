import fs from 'node:fs';
import path from 'node:path';

import { parse } from 'yaml';

import { imageNodeFlags } from '../../../bench/child';

const repo = path.resolve(__dirname, '..', '..', '..');

/** "512Mi" → MiB. */
function mebibytes(quantity: string): number {
  const match = /^(\d+)(Mi|Gi)$/.exec(quantity);
  if (match?.[1] === undefined) throw new Error(`not a Mi/Gi quantity: ${quantity}`);
  return Number(match[1]) * (match[2] === 'Gi' ? 1024 : 1);
}

describe('the heap cap the image starts the worker with', () => {
  it('is set, and leaves the chart’s memory limit room for buffers and the runtime (docs/deployment.md, "Memory")', () => {
    const cap = imageNodeFlags(path.join(repo, 'Dockerfile'))
      .map((flag) => /^--max-heap-size=(\d+)$/.exec(flag)?.[1])
      .find((value) => value !== undefined);
    const values = parse(fs.readFileSync(path.join(repo, 'deploy', 'helm', 'billing-enforcer', 'values.yaml'), 'utf8')) as {
      resources: { limits: { memory: string } };
    };
    expect(cap).toBeDefined();
    // Measured: RSS is the heap plus ~30–60 MB of buffers and ~70 MB of runtime; twice the cap is a safe limit.
    expect(Number(cap) * 2).toBeLessThanOrEqual(mebibytes(values.resources.limits.memory));
  });
});
