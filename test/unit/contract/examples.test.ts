import fs from 'node:fs';
import path from 'node:path';

import { consumers } from '../../../consumers/routes';
import { typedEnvelope } from '../../../src/contract/envelope';
import { examplesMarkdown, inboundExamples, lifecycleExamples, withExamples } from '../../../src/contract/examples';
import { lifecycleEnvelopeSchema } from '../../../src/contract/lifecycle';
import { LIFECYCLE_EVENT_TYPES } from '../../../src/domain';

describe('example messages (docs/events.md, AsyncAPI)', () => {
  const inboundTypes = consumers.flatMap((consumer) => Object.entries(consumer.events));

  it('has one for every inbound type, valid against the schema the worker validates with', () => {
    expect(Object.keys(inboundExamples).sort()).toEqual(inboundTypes.map(([type]) => type).sort());
    for (const [type, handler] of inboundTypes) {
      expect([type, typedEnvelope(type, handler.data).safeParse(inboundExamples[type]).error?.issues]).toEqual([type, undefined]);
    }
  });

  it('has one for every lifecycle type, valid against the published lifecycle schema', () => {
    expect(Object.keys(lifecycleExamples).sort()).toEqual([...LIFECYCLE_EVENT_TYPES].sort());
    for (const [type, example] of Object.entries(lifecycleExamples)) {
      expect([type, example.type, lifecycleEnvelopeSchema.safeParse(example).error?.issues]).toEqual([type, type, undefined]);
    }
  });

  it('docs/events.md carries the current examples (regenerate with npm run contract)', () => {
    const file = path.resolve(__dirname, '..', '..', '..', 'docs', 'events.md');
    const text = fs.readFileSync(file, 'utf8');
    expect(text).toBe(withExamples(text));
    expect(text).toContain(examplesMarkdown());
  });
});
