import {
  locateJsonError,
  parseJson,
  prettyJson
} from '../panels/serving/jsonText';
import { IPayloadTable, PayloadTable } from '../panels/serving/payload';
import { displayPredictions } from '../panels/serving/predictions';

const IRIS_COLUMNS = ['sepal length (cm)', 'sepal width (cm)'];

describe('PayloadTable', () => {
  describe('dataframe_split', () => {
    const payload = {
      dataframe_split: {
        columns: IRIS_COLUMNS,
        index: [7, 8],
        data: [
          [5.1, 3.5],
          [6.2, 2.9]
        ]
      },
      params: { threshold: 0.5 }
    };

    it('has columns and rows, and keeps the index and params', () => {
      const table = PayloadTable.fromPayload(payload)!;
      expect(table.key).toBe('dataframe_split');
      expect(table.shape).toBe('split');
      expect(table.columns).toEqual(IRIS_COLUMNS);
      expect(table.rows).toEqual([
        [5.1, 3.5],
        [6.2, 2.9]
      ]);
      expect(PayloadTable.toPayload(table)).toEqual(payload);
    });

    it('writes an edited cell and a renamed column back', () => {
      let table = PayloadTable.fromPayload(payload)!;
      table = PayloadTable.setCell(table, 1, 0, '7.25');
      table = PayloadTable.renameColumn(table, 1, 'width');
      expect(PayloadTable.toPayload(table)).toEqual({
        dataframe_split: {
          columns: ['sepal length (cm)', 'width'],
          index: [7, 8],
          data: [
            [5.1, 3.5],
            [7.25, 2.9]
          ]
        },
        params: { threshold: 0.5 }
      });
    });

    it('is not a table with a row of the wrong width', () => {
      expect(
        PayloadTable.fromPayload({
          dataframe_split: { columns: ['a', 'b'], data: [[1]] }
        })
      ).toBeNull();
    });

    it('names unnamed columns by position', () => {
      const table = PayloadTable.fromPayload({
        dataframe_split: { data: [[1, 2]] }
      })!;
      expect(table.columns).toEqual(['0', '1']);
    });
  });

  describe('dataframe_records', () => {
    it('has the union of the keys as columns, missing cells null', () => {
      const table = PayloadTable.fromPayload({
        dataframe_records: [
          { a: 1, b: 'x' },
          { b: 'y', c: true }
        ]
      })!;
      expect(table.shape).toBe('records');
      expect(table.columns).toEqual(['a', 'b', 'c']);
      expect(table.rows).toEqual([
        [1, 'x', null],
        [null, 'y', true]
      ]);
    });

    it('keeps text columns as text', () => {
      let table = PayloadTable.fromPayload({
        dataframe_records: [{ id: 'a', n: 1 }]
      })!;
      table = PayloadTable.setCell(table, 0, 0, '42');
      table = PayloadTable.setCell(table, 0, 1, '42');
      expect(PayloadTable.toPayload(table)).toEqual({
        dataframe_records: [{ id: '42', n: 42 }]
      });
    });

    it('renames a key in every record', () => {
      const table = PayloadTable.renameColumn(
        PayloadTable.fromPayload({ dataframe_records: [{ a: 1 }, { a: 2 }] })!,
        0,
        'z'
      );
      expect(PayloadTable.toPayload(table)).toEqual({
        dataframe_records: [{ z: 1 }, { z: 2 }]
      });
    });
  });

  describe('inputs', () => {
    it('reads a list of records', () => {
      const table = PayloadTable.fromPayload({ inputs: [{ a: 1 }] })!;
      expect(table.key).toBe('inputs');
      expect(table.shape).toBe('records');
      expect(PayloadTable.toPayload(table)).toEqual({ inputs: [{ a: 1 }] });
    });

    it('reads an object of columns and writes columns back', () => {
      let table = PayloadTable.fromPayload({
        inputs: { a: [1, 2], b: [3, 4] }
      })!;
      expect(table.shape).toBe('columns');
      expect(table.rows).toEqual([
        [1, 3],
        [2, 4]
      ]);
      table = PayloadTable.setCell(table, 1, 1, '40');
      expect(PayloadTable.toPayload(table)).toEqual({
        inputs: { a: [1, 2], b: [3, 40] }
      });
    });

    it('reads rows of unnamed columns, whose names cannot be edited', () => {
      const table = PayloadTable.fromPayload({
        instances: [
          [1, 2],
          [3, 4]
        ]
      })!;
      expect(table.shape).toBe('rows');
      expect(table.columns).toEqual(['0', '1']);
      expect(PayloadTable.hasNamedColumns(table)).toBe(false);
      expect(
        PayloadTable.toPayload(PayloadTable.setCell(table, 0, 1, '9'))
      ).toEqual({
        instances: [
          [1, 9],
          [3, 4]
        ]
      });
    });

    it('reads a list of scalars as one column', () => {
      const table = PayloadTable.fromPayload({ inputs: [1, 2, 3] })!;
      expect(table.shape).toBe('list');
      expect(table.rows).toEqual([[1], [2], [3]]);
      expect(PayloadTable.toPayload(table)).toEqual({ inputs: [1, 2, 3] });
    });

    it('is not a table for tensors or non-payloads', () => {
      expect(PayloadTable.fromPayload({ inputs: [[[1, 2]]] })).toBeNull();
      expect(PayloadTable.fromPayload({ inputs: 'text' })).toBeNull();
      expect(PayloadTable.fromPayload([1, 2])).toBeNull();
      expect(PayloadTable.fromPayload({ other: [] })).toBeNull();
      expect(
        PayloadTable.fromPayload({ inputs: [1], instances: [2] })
      ).toBeNull();
    });
  });

  describe('cells', () => {
    it('shows strings raw and other scalars as JSON', () => {
      expect(PayloadTable.cellText('a b')).toBe('a b');
      expect(PayloadTable.cellText(1.5)).toBe('1.5');
      expect(PayloadTable.cellText(null)).toBe('null');
      expect(PayloadTable.cellText(false)).toBe('false');
    });

    it('parses numbers, booleans and null, else keeps text', () => {
      expect(PayloadTable.parseCell(' 3.5 ', false)).toBe(3.5);
      expect(PayloadTable.parseCell('true', false)).toBe(true);
      expect(PayloadTable.parseCell('', false)).toBeNull();
      expect(PayloadTable.parseCell('abc', false)).toBe('abc');
      expect(PayloadTable.parseCell('"q"', false)).toBe('"q"');
      expect(PayloadTable.parseCell('3.5', true)).toBe('3.5');
    });

    it('does not change the table it edits', () => {
      const table: IPayloadTable = PayloadTable.fromPayload({
        dataframe_split: { columns: ['a'], data: [[1]] }
      })!;
      PayloadTable.setCell(table, 0, 0, '2');
      PayloadTable.renameColumn(table, 0, 'b');
      expect(table.rows).toEqual([[1]]);
      expect(table.columns).toEqual(['a']);
    });
  });
});

describe('parseJson', () => {
  it('parses valid JSON', () => {
    expect(parseJson('{"a": [1]}')).toEqual({ ok: true, value: { a: [1] } });
  });

  it('locates an error by its position', () => {
    const parsed = parseJson('{\n  "a": 1,\n}');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error.line).toBe(3);
      expect(parsed.error.column).toBe(1);
      expect(parsed.error.message).toMatch(/JSON/);
    }
  });

  it('puts an unexpected end at the end', () => {
    const parsed = parseJson('{"a": [1,\n2');
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) {
      expect(parsed.error.line).toBe(2);
      expect(parsed.error.column).toBe(2);
    }
  });

  it('reads the line and column some engines give', () => {
    expect(
      locateJsonError(
        'x',
        "Expected ',' or '}' after property value in JSON at position 9 (line 2 column 3)"
      )
    ).toEqual({
      message:
        "Expected ',' or '}' after property value in JSON at position 9 (line 2 column 3)",
      line: 2,
      column: 3
    });
  });

  it('keeps a message that says nowhere', () => {
    expect(locateJsonError('x', 'Unexpected token')).toEqual({
      message: 'Unexpected token',
      line: null,
      column: null
    });
  });
});

describe('displayPredictions', () => {
  it('shows a list of scalars as one unnamed column', () => {
    expect(displayPredictions([0, 2, 1])).toEqual({
      kind: 'table',
      columns: null,
      rows: [[0], [2], [1]]
    });
  });

  it('shows records as one column per key', () => {
    expect(
      displayPredictions([
        { label: 'a', p: 0.9 },
        { p: 0.1, label: 'b' }
      ])
    ).toEqual({
      kind: 'table',
      columns: ['label', 'p'],
      rows: [
        ['a', 0.9],
        ['b', 0.1]
      ]
    });
  });

  it('shows anything else as pretty JSON', () => {
    expect(displayPredictions([[1, 2]])).toEqual({
      kind: 'json',
      text: '[\n  [1, 2]\n]'
    });
    expect(displayPredictions({ a: 1 })).toEqual({
      kind: 'json',
      text: '{\n  "a": 1\n}'
    });
    expect(displayPredictions([])).toEqual({ kind: 'json', text: '[]' });
    expect(displayPredictions('yes')).toEqual({ kind: 'json', text: '"yes"' });
  });
});

describe('prettyJson', () => {
  it('keeps each row of a split on one line', () => {
    const payload = {
      dataframe_split: {
        columns: ['a (cm)', 'b'],
        data: [
          [5.1, 'x'],
          [4.9, null]
        ]
      },
      params: {}
    };
    const text = prettyJson(payload);
    expect(text).toBe(
      [
        '{',
        '  "dataframe_split": {',
        '    "columns": ["a (cm)", "b"],',
        '    "data": [',
        '      [5.1, "x"],',
        '      [4.9, null]',
        '    ]',
        '  },',
        '  "params": {}',
        '}'
      ].join('\n')
    );
    expect(JSON.parse(text)).toEqual(payload);
  });

  it('writes what JSON.stringify writes for odd values', () => {
    expect(prettyJson(undefined)).toBe('null');
    expect(prettyJson({ a: undefined, b: NaN, c: [] })).toBe(
      '{\n  "b": null,\n  "c": []\n}'
    );
    expect(prettyJson([{ k: 'v' }])).toBe('[\n  {\n    "k": "v"\n  }\n]');
  });
});
