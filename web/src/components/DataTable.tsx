import type { KeyboardEvent, ReactNode } from 'react';
import { EmptyState } from './EmptyState';

export interface Column<T> {
  key: string;
  header: string;
  render: (row: T) => ReactNode;
  className?: string;
}

export interface DataTableProps<T> {
  columns: Column<T>[];
  rows: T[];
  rowKey: (row: T) => string;
  /** Makes rows activatable by click and by Enter (they are links to a detail). */
  onRowActivate?: (row: T) => void;
  rowLabel?: (row: T) => string;
  empty: { title: string; hint?: string };
  loading?: boolean;
  caption?: string;
  rowClassName?: (row: T) => string | undefined;
}

/** DataTable renders one page of server-side rows; paging is the Pager's job. */
export function DataTable<T>({ columns, rows, rowKey, onRowActivate, rowLabel, empty, loading, caption, rowClassName }: DataTableProps<T>) {
  if (!loading && rows.length === 0) return <EmptyState title={empty.title} hint={empty.hint} />;
  const onKey = (e: KeyboardEvent, row: T) => {
    if (e.key === 'Enter' || e.key === ' ') {
      e.preventDefault();
      onRowActivate?.(row);
    }
  };
  return (
    <div className="table-wrap">
      <table className="data-table" aria-busy={loading || undefined}>
        {caption && <caption className="sr-only">{caption}</caption>}
        <thead>
          <tr>
            {columns.map((c) => (
              <th key={c.key} scope="col" className={c.className}>
                {c.header}
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {rows.map((row) => (
            <tr
              key={rowKey(row)}
              className={[onRowActivate ? 'clickable' : '', rowClassName?.(row) ?? ''].join(' ').trim() || undefined}
              tabIndex={onRowActivate ? 0 : undefined}
              aria-label={onRowActivate && rowLabel ? rowLabel(row) : undefined}
              onClick={onRowActivate ? () => onRowActivate(row) : undefined}
              onKeyDown={onRowActivate ? (e) => onKey(e, row) : undefined}
            >
              {columns.map((c) => (
                <td key={c.key} className={c.className}>
                  {c.render(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

export function Pager({ total, limit, offset, onOffset }: { total: number; limit: number; offset: number; onOffset: (o: number) => void }) {
  const pages = Math.max(1, Math.ceil(total / limit));
  const page = Math.min(pages, Math.floor(offset / limit) + 1);
  return (
    <nav className="pager" aria-label="Pagination">
      <button type="button" className="btn small ghost" aria-label="Previous page" disabled={offset <= 0} onClick={() => onOffset(Math.max(0, offset - limit))}>
        ‹
      </button>
      <span>
        PAGE {page} OF {pages}
      </span>
      <button type="button" className="btn small ghost" aria-label="Next page" disabled={offset + limit >= total} onClick={() => onOffset(offset + limit)}>
        ›
      </button>
    </nav>
  );
}
