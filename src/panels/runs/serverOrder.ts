import { TableRows } from './tableRows';

/**
 * The MLflow `order_by` of a table sort, so that a sort applies to every run
 * on the server and not just to the loaded ones; `null` when MLflow cannot
 * order by that column (the duration, a key it cannot quote): the loaded
 * runs are then sorted in the browser only.
 *
 * A tie-breaker keeps the pages stable (MLflow adds run_id itself, after
 * start_time).
 */
export function serverOrder(sort: TableRows.ISort | null): string[] | null {
  if (sort === null) {
    return null;
  }
  const direction = sort.direction === 'ascending' ? 'ASC' : 'DESC';
  const field = Private.field(sort.column);
  if (field === null) {
    return null;
  }
  return field === 'attributes.start_time'
    ? [`${field} ${direction}`]
    : [`${field} ${direction}`, 'attributes.start_time DESC'];
}

namespace Private {
  /**
   * The MLflow search field of a column.
   */
  export function field(column: TableRows.ColumnId): string | null {
    switch (column) {
      case 'name':
        return 'attributes.run_name';
      case 'status':
        return 'attributes.status';
      case 'start':
        return 'attributes.start_time';
      case 'duration':
        return null;
    }
    const parsed = TableRows.parseColumn(column);
    if (!parsed) {
      return null;
    }
    const quoted = quote(parsed.key);
    if (quoted === null) {
      return null;
    }
    return `${parsed.kind === 'param' ? 'params' : 'metrics'}.${quoted}`;
  }

  /**
   * A key as MLflow's search grammar reads it: in backticks, or in double
   * quotes when it holds a backtick; `null` when it holds both.
   */
  export function quote(key: string): string | null {
    if (!key.includes('`')) {
      return `\`${key}\``;
    }
    if (!key.includes('"')) {
      return `"${key}"`;
    }
    return null;
  }
}
