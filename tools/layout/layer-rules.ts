import { type FileImport, PRODUCT_ROOTS, unitOf } from './import-graph';
import { LAYERS, type Layer, layerName, layerOf } from './layers';

const isProduct = (unit: string): boolean => PRODUCT_ROOTS.some((dir) => unit === dir || unit.startsWith(`${dir}/`));

/**
 * Every product import that reaches a layer listed after its own file's, one line each: the file, the import as
 * written, the unit it lands in and both layers. Imports of units in no layer are `unplacedUnits`' to report.
 */
export function orderViolations(imports: readonly FileImport[], layers: readonly Layer[] = LAYERS): string[] {
  return imports.flatMap(({ file, specifier, target }) => {
    const from = layerOf(unitOf(file), layers);
    const to = layerOf(target, layers);
    if (!isProduct(unitOf(file)) || !isProduct(target) || from === undefined || to === undefined || to <= from) return [];
    return [
      `${file} imports '${specifier}' (${target}): ${layerName(from, layers)} may not import ${layerName(to, layers)}, listed after it in tools/layout/layers.ts`,
    ];
  });
}

/** Units of the graph, and product units it imports, that no layer holds: a new folder must be given its place. */
export function unplacedUnits(graph: ReadonlyMap<string, ReadonlySet<string>>, layers: readonly Layer[] = LAYERS): string[] {
  const units = new Set([...graph.keys(), ...[...graph.values()].flatMap((edges) => [...edges].filter(isProduct))]);
  return [...units].filter((unit) => layerOf(unit, layers) === undefined).sort();
}
