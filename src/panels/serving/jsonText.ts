/**
 * The JSON editor's text: parse it, and describe a syntax error by line and
 * column so the form can show it beside the editor. No DOM.
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
