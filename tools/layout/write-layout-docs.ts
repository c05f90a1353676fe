import fs from 'node:fs';
import path from 'node:path';

import { importGraph } from './import-graph';
import { layoutTable, withLayoutTable } from './layout-table';

// `npm run docs:layout`: regenerates the layout table in docs/architecture.md; a unit test fails when it is stale.
const root = path.resolve(__dirname, '..', '..');
const file = path.join(root, 'docs', 'architecture.md');
fs.writeFileSync(file, withLayoutTable(fs.readFileSync(file, 'utf8'), layoutTable(importGraph(root))));
console.log(`wrote ${file}`);
