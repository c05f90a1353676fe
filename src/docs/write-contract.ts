import fs from 'node:fs';
import path from 'node:path';

import { contractFiles } from './asyncapi';
import { withExamples } from '../contract/examples';

// Regenerates docs/contract/ from the zod schemas; a unit test fails when the committed files are out of date.
const dir = path.resolve(__dirname, '..', '..', 'docs', 'contract');
fs.mkdirSync(dir, { recursive: true });
for (const [name, text] of Object.entries(contractFiles())) fs.writeFileSync(path.join(dir, name), text);
console.log(`wrote ${Object.keys(contractFiles()).length} files to ${dir}`);

// docs/events.md keeps its prose; its examples section is regenerated between the markers.
const events = path.resolve(__dirname, '..', '..', 'docs', 'events.md');
fs.writeFileSync(events, withExamples(fs.readFileSync(events, 'utf8')));
console.log(`updated the examples in ${events}`);
