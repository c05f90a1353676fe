import fs from 'node:fs';
import path from 'node:path';

import { configSchema } from '../../../src/config/config';
import { configurationMarkdown, settingDocs } from '../../../src/docs/config-docs';

describe('docs/configuration.md', () => {
  it('is up to date with the zod schema (regenerate with npm run docs:config)', () => {
    const file = path.resolve(__dirname, '..', '..', '..', 'docs', 'configuration.md');
    expect(fs.readFileSync(file, 'utf8')).toBe(configurationMarkdown());
  });

  it('documents every setting (zod .describe() or src/docs/config-docs.ts)', () => {
    expect(settingDocs().filter((setting) => setting.meaning === undefined)).toEqual([]);
    expect(settingDocs().map((setting) => setting.name)).toEqual(Object.keys(configSchema.shape));
  });

  it('shows defaults and required settings as the schema has them', () => {
    const byName = new Map(settingDocs().map((setting) => [setting.name, setting]));
    expect(byName.get('KAFKA_BROKERS')?.default).toBe('**required**');
    expect(byName.get('DELETION_DELAY')).toMatchObject({ type: 'duration', default: '`P60D`' });
    expect(byName.get('KAFKA_SSL')).toMatchObject({ type: 'boolean', default: '`false`' });
    expect(byName.get('ADMIN_TOKEN')?.default).toBe('unset');
  });
});
