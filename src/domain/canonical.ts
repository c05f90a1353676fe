/**
 * The canonical form of a value, the bytes that are hashed and signed (deletion certificates, the audit chain).
 * It is RFC 8785 (JSON Canonicalization Scheme) restricted to values with no fractional numbers: object keys sorted by
 * UTF-16 code units, no whitespace, strings escaped as `JSON.stringify` escapes them, integers in decimal. Anything
 * whose text could be ambiguous across languages is refused instead of guessed: fractions, NaN, infinities, integers
 * beyond 2^53, `undefined` in an array, and anything that is not a plain object, an array, a string, a boolean or null.
 * A property whose value is `undefined` is left out, as `JSON.stringify` leaves it out.
 */
export function canonicalJson(value: unknown): string {
  return canonical(value, '$');
}

function canonical(value: unknown, path: string): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isSafeInteger(value)) throw new TypeError(`canonical form: ${path} is ${String(value)}, not a safe integer`);
      // -0 and 0 are the same integer: both are written 0.
      return value === 0 ? '0' : String(value);
    case 'object': {
      if (Array.isArray(value)) {
        return `[${value
          .map((item: unknown, index) => {
            if (item === undefined) throw new TypeError(`canonical form: ${path}[${index}] is undefined`);
            return canonical(item, `${path}[${index}]`);
          })
          .join(',')}]`;
      }
      const prototype: unknown = Object.getPrototypeOf(value);
      if (prototype !== Object.prototype && prototype !== null) throw new TypeError(`canonical form: ${path} is not a plain object`);
      const entries = Object.entries(value as Record<string, unknown>)
        .filter((entry) => entry[1] !== undefined)
        // Default sort compares UTF-16 code units, as RFC 8785 asks.
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      return `{${entries.map(([key, item]) => `${JSON.stringify(key)}:${canonical(item, `${path}.${key}`)}`).join(',')}}`;
    }
    case 'bigint':
    case 'function':
    case 'symbol':
    case 'undefined':
      break;
  }
  throw new TypeError(`canonical form: ${path} is a ${typeof value}`);
}
