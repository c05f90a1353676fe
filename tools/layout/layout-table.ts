import { LAYERS, type Layer, layerOf } from './layers';

export const TABLE_START = '<!-- layout table: generated from tools/layout/layers.ts and the imports by `npm run docs:layout` -->';
export const TABLE_END = '<!-- end of the layout table -->';

/** The "imports" column of one layer: the units of other layers its files import, in the table's order. */
export function layerImports(index: number, graph: ReadonlyMap<string, ReadonlySet<string>>, layers: readonly Layer[] = LAYERS): string {
  const fixed = layers[index]?.imports;
  if (fixed !== undefined) return fixed;
  const targets = new Set(
    [...graph]
      .filter(([unit]) => layerOf(unit, layers) === index)
      .flatMap(([, edges]) => [...edges].filter((to) => ![index, undefined].includes(layerOf(to, layers)))),
  );
  const ordered = [...targets].sort((a, b) => (layerOf(a, layers) ?? 0) - (layerOf(b, layers) ?? 0) || a.localeCompare(b));
  return ordered.length === 0 ? 'nothing' : ordered.map((unit) => unit.replace(/^src\//, '')).join(', ');
}

// Prettier pads by characters as they show (an East Asian wide one counts two; the table has none, and format:check
// would say so): one per grapheme here.
const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });
const width = (text: string): number => Array.from(graphemes.segment(text)).length;

/** A Markdown table laid out as Prettier lays it out (every column padded to its widest cell), so format:check passes. */
export function markdownTable(rows: readonly (readonly string[])[]): string {
  const widths = (rows[0] ?? []).map((_, column) => Math.max(3, ...rows.map((row) => width(row[column] ?? ''))));
  const pad = (cell: string, column: number): string => cell + ' '.repeat(Math.max(0, (widths[column] ?? 0) - width(cell)));
  const line = (cells: readonly string[]): string => `| ${cells.map(pad).join(' | ')} |`;
  const [head = [], ...body] = rows;
  return [line(head), line(widths.map((width) => '-'.repeat(width))), ...body.map(line)].join('\n');
}

/** docs/architecture.md's layout table, bottom-up as `layers` lists it, with each layer's imports from `graph`. */
export function layoutTable(graph: ReadonlyMap<string, ReadonlySet<string>>, layers: readonly Layer[] = LAYERS): string {
  return markdownTable([
    ['folder', 'its job', 'imports'],
    ...layers.map((layer, index) => [layer.paths.map((p) => `\`${p}\``).join(', '), layer.job, layerImports(index, graph, layers)]),
  ]);
}

/** `doc` with the text between the markers replaced by `table`. */
export function withLayoutTable(doc: string, table: string): string {
  const start = doc.indexOf(TABLE_START);
  const end = doc.indexOf(TABLE_END);
  if (start === -1 || end < start) throw new Error(`docs/architecture.md: the markers around the layout table are missing: ${TABLE_START}`);
  return `${doc.slice(0, start + TABLE_START.length)}\n\n${table}\n\n${doc.slice(end)}`;
}
