import fs from 'node:fs';
import path from 'node:path';

import { apiDocumentText } from '../http/api-routes';

// `npm run docs:openapi`: regenerates docs/contract/openapi.json from the route declarations; a unit test fails when it is stale.
const file = path.resolve(__dirname, '..', '..', 'docs', 'contract', 'openapi.json');
fs.writeFileSync(file, apiDocumentText());
console.log(`wrote ${file}`);
