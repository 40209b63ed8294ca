import {
  exampleTable,
  MAX_EXAMPLE_ROWS
} from '../panels/modelView/inputExample';

describe('exampleTable', () => {
  it('reads a pandas split dataframe as MLflow writes it', () => {
    expect(
      exampleTable({
        columns: ['a', 'b'],
        data: [
          [5.1, 'x'],
          [4.9, null]
        ]
      })
    ).toEqual({
      columns: ['a', 'b'],
      rows: [
        ['5.1', 'x'],
        ['4.9', 'null']
      ],
      totalRows: 2
    });
  });

  it('reads the serving forms', () => {
    const split = exampleTable({
      dataframe_split: { columns: ['a'], data: [[1], [2]] }
    });
    expect(split.columns).toEqual(['a']);
    expect(split.rows).toEqual([['1'], ['2']]);

    const records = exampleTable({
      dataframe_records: [
        { a: 1, b: 'u' },
        { b: 'v', c: true }
      ]
    });
    expect(records.columns).toEqual(['a', 'b', 'c']);
    expect(records.rows).toEqual([
      ['1', 'u', ''],
      ['', 'v', 'true']
    ]);

    const inputs = exampleTable({ inputs: [[1, 2, 3]] });
    expect(inputs.columns).toEqual(['0', '1', '2']);
    expect(inputs.rows).toEqual([['1', '2', '3']]);

    const instances = exampleTable({ instances: [{ text: 'hi' }] });
    expect(instances.columns).toEqual(['text']);
  });

  it('reads an example with params (data under "inputs")', () => {
    const table = exampleTable({
      inputs: { columns: ['q'], data: [['what?']] },
      params: { temperature: 0.1 }
    });
    expect(table).toEqual({ columns: ['q'], rows: [['what?']], totalRows: 1 });
  });

  it('reads dataframe values, dicts of arrays, scalars and nested values', () => {
    expect(exampleTable({ data: [[1, 2]] }).columns).toEqual(['0', '1']);
    expect(exampleTable({ x: [1, 2], y: [3, 4] })).toEqual({
      columns: ['x', 'y'],
      rows: [
        ['1', '3'],
        ['2', '4']
      ],
      totalRows: 2
    });
    expect(exampleTable({ prompt: 'hi', n: 2 })).toEqual({
      columns: ['prompt', 'n'],
      rows: [['hi', '2']],
      totalRows: 1
    });
    expect(exampleTable(42)).toEqual({
      columns: ['value'],
      rows: [['42']],
      totalRows: 1
    });
    expect(exampleTable([{ v: { a: [1] } }]).rows).toEqual([['{"a":[1]}']]);
  });

  it('keeps markup as text and cuts long examples', () => {
    const xss = '<img src=x onerror=alert(1)>';
    expect(exampleTable([{ [xss]: xss }])).toEqual({
      columns: [xss],
      rows: [[xss]],
      totalRows: 1
    });
    const long = exampleTable(
      Array.from({ length: MAX_EXAMPLE_ROWS + 5 }, (_, i) => [i])
    );
    expect(long.rows).toHaveLength(MAX_EXAMPLE_ROWS);
    expect(long.totalRows).toBe(MAX_EXAMPLE_ROWS + 5);
  });
});
