import fs from 'node:fs';
import path from 'node:path';

import ts from 'typescript';

/** The folders whose imports make the architecture; tools/ may use the product, never the reverse. */
export const PRODUCT_ROOTS = ['src', 'consumers', 'jobs'] as const;
const ROOTS = [...PRODUCT_ROOTS, 'tools'] as const;

/** The unit a file belongs to: `src/<folder>`, a file directly in `src/`, or a top-level folder (`jobs`, `tools/stack`). */
export function unitOf(relativeFile: string): string {
  const parts = relativeFile.split('/');
  if (parts[0] === 'src' || parts[0] === 'tools') return parts.length > 2 ? `${parts[0]}/${parts[1]}` : relativeFile.replace(/\.ts$/, '');
  return parts[0] ?? relativeFile;
}

function sourceFiles(root: string, dir: string): string[] {
  const absolute = path.join(root, dir);
  if (!fs.existsSync(absolute)) return [];
  return fs.readdirSync(absolute, { withFileTypes: true }).flatMap((entry) => {
    const relative = path.posix.join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(root, relative);
    return entry.name.endsWith('.ts') ? [relative] : [];
  });
}

/** Where a relative import lands, as a repository-relative path (the file, or the folder of an `index.ts`). */
function resolve(root: string, fromFile: string, specifier: string): string {
  const target = path.posix.normalize(path.posix.join(path.posix.dirname(fromFile), specifier));
  return fs.existsSync(path.join(root, `${target}.ts`)) ? `${target}.ts` : target;
}

/** One relative import in one file: what it says and where it lands. */
export interface FileImport {
  /** Repository-relative, e.g. `src/leases/subscription-leases.ts`. */
  readonly file: string;
  /** As written, e.g. `../queue/redis-errors`. */
  readonly specifier: string;
  /** The unit it lands in (`unitOf`), e.g. `src/queue`. */
  readonly target: string;
}

/** Every relative import (static, dynamic, `require` and type-only alike) of every file under the roots, from disk. */
export function fileImports(root: string): FileImport[] {
  return ROOTS.flatMap((dir) => sourceFiles(root, dir)).flatMap((file) => {
    const { importedFiles } = ts.preProcessFile(fs.readFileSync(path.join(root, file), 'utf8'), true, true);
    return importedFiles
      .filter(({ fileName }) => fileName.startsWith('.'))
      .map(({ fileName }) => ({ file, specifier: fileName, target: unitOf(resolve(root, file, fileName)) }));
  });
}

/** Unit → the units it imports (static, dynamic and type-only imports alike), from the files on disk. */
export function importGraph(root: string): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const file of ROOTS.flatMap((dir) => sourceFiles(root, dir))) if (!graph.has(unitOf(file))) graph.set(unitOf(file), new Set());
  for (const { file, target } of fileImports(root)) if (target !== unitOf(file)) graph.get(unitOf(file))?.add(target);
  return graph;
}

/** Every group of units that import each other in a circle (Tarjan's strongly connected components of size > 1). */
export function importCycles(graph: ReadonlyMap<string, ReadonlySet<string>>): string[][] {
  let next = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const cycles: string[][] = [];
  const visit = (unit: string): void => {
    index.set(unit, next);
    low.set(unit, next++);
    stack.push(unit);
    for (const to of graph.get(unit) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(unit, Math.min(low.get(unit) ?? 0, low.get(to) ?? 0));
      } else if (stack.includes(to)) low.set(unit, Math.min(low.get(unit) ?? 0, index.get(to) ?? 0));
    }
    if (low.get(unit) !== index.get(unit)) return;
    const component: string[] = [];
    for (let member = stack.pop(); member !== undefined; member = member === unit ? undefined : stack.pop()) component.push(member);
    if (component.length > 1) cycles.push(component.sort());
  };
  for (const unit of graph.keys()) if (!index.has(unit)) visit(unit);
  return cycles;
}
