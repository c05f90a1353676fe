import fs from 'node:fs';
import path from 'node:path';

import { configurationMarkdown } from './config-docs';

// `npm run docs:config`: regenerates docs/configuration.md from the schema; a unit test fails when it is stale.
const file = path.resolve(__dirname, '..', '..', 'docs', 'configuration.md');
fs.writeFileSync(file, configurationMarkdown());
console.log(`wrote ${file}`);
