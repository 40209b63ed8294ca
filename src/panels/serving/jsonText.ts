/**
 * The JSON editor's text: write it compactly, parse it, and describe a
 * syntax error by line and column so the form can show it beside the
 * editor. No DOM.
 */

/**
 * A JSON syntax error, located.
 */
export interface IJsonError {
  /**
   * The parser's own message.
   */
  readonly message: string;
  /**
   * 1-based line and column of the error; `null` when the parser did not
   * say where.
   */
  readonly line: number | null;
  readonly column: number | null;
}

/**
 * The outcome of parsing the editor's text.
 */
export type JsonParse =
  | { readonly ok: true; readonly value: unknown }
  | { readonly ok: false; readonly error: IJsonError };

/**
 * Parse JSON text; a syntax error comes back located, never thrown.
 */
export function parseJson(text: string): JsonParse {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch (reason) {
    const message = reason instanceof Error ? reason.message : String(reason);
    return { ok: false, error: locateJsonError(text, message) };
  }
}

/**
 * Where a `JSON.parse` error is: engines give either a position
 * (`… at position 12`), a line and column (`(line 2 column 3)`), or
 * nothing (an unexpected end of input, which is at the end).
 */
export function locateJsonError(text: string, message: string): IJsonError {
  const lineColumn = /line (\d+) column (\d+)/.exec(message);
  if (lineColumn) {
    return {
      message,
      line: Number(lineColumn[1]),
      column: Number(lineColumn[2])
    };
  }
  const position = /position (\d+)/.exec(message);
  const offset = position
    ? Math.min(Number(position[1]), text.length)
    : /end of (JSON )?input/i.test(message)
      ? text.length
      : null;
  if (offset === null) {
    return { message, line: null, column: null };
  }
  const before = text.slice(0, offset).split('\n');
  return {
    message,
    line: before.length,
    column: before[before.length - 1].length + 1
  };
}

/**
 * JSON text indented by two spaces, with each list of scalars on one line
 * (a table's rows stay one line each); `undefined` is `null`.
 */
export function prettyJson(value: unknown): string {
  const text = JSON.stringify(value);
  return text === undefined ? 'null' : Private.format(JSON.parse(text), '');
}

namespace Private {
  /**
   * Format a JSON value (already normalised by a round trip) at an
   * indentation.
   */
  export function format(value: unknown, indent: string): string {
    const inner = `${indent}  `;
    if (Array.isArray(value)) {
      if (value.length === 0) {
        return '[]';
      }
      if (value.every(item => typeof item !== 'object' || item === null)) {
        return `[${value.map(item => JSON.stringify(item)).join(', ')}]`;
      }
      const items = value.map(item => inner + format(item, inner));
      return `[\n${items.join(',\n')}\n${indent}]`;
    }
    if (typeof value === 'object' && value !== null) {
      const entries = Object.entries(value);
      if (entries.length === 0) {
        return '{}';
      }
      const items = entries.map(
        ([key, item]) =>
          `${inner}${JSON.stringify(key)}: ${format(item, inner)}`
      );
      return `{\n${items.join(',\n')}\n${indent}}`;
    }
    return JSON.stringify(value);
  }
}
