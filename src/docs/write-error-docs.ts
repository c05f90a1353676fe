import fs from 'node:fs';
import path from 'node:path';

import { errorsMarkdown } from './error-docs';

// `npm run docs:errors`: regenerates docs/errors.md from the error table; a unit test fails when it is stale.
const file = path.resolve(__dirname, '..', '..', 'docs', 'errors.md');
fs.writeFileSync(file, errorsMarkdown());
console.log(`wrote ${file}`);
