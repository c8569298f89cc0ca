import { useEffect, useState, type ReactNode } from 'react';
import type { ListPage } from '../lib/useListPage';
import { DataTable, Pager, type DataTableProps } from './DataTable';
import { ErrorBox } from './EmptyState';
import { Section } from './PageHeader';

export type ListSectionProps<T> = Omit<DataTableProps<T>, 'rows' | 'loading'> & {
  list: ListPage<T>;
  title: ReactNode;
  /** Put before the error text: `${errorPrefix}: ${error}`. */
  errorPrefix?: string;
};

/**
 * ListSection is the body of a list page: the load error, then a section
 * with the Pager in its header and one server-side page in a DataTable
 * (busy while the first page or a refetch of a shown page is in flight).
 */
export function ListSection<T>({ list, title, errorPrefix, ...table }: ListSectionProps<T>) {
  return (
    <>
      {list.error && <ErrorBox text={errorPrefix ? `${errorPrefix}: ${list.error}` : list.error} />}
      <Section title={title} actions={list.page && <Pager total={list.page.total} limit={list.limit} offset={list.offset} onOffset={list.setOffset} />}>
        <DataTable {...table} rows={list.rows} loading={list.loading || (list.pending && list.rows.length > 0)} />
      </Section>
    </>
  );
}

/**
 * SearchToolbar is a list's search form: a draft box that follows the URL's
 * value and commits it (trimmed) on submit, then the list's other filters.
 */
export function SearchToolbar({ value, onSearch, label, placeholder, children }: { value: string; onSearch: (q: string) => void; label: string; placeholder: string; children?: ReactNode }) {
  const [draft, setDraft] = useState(value);
  useEffect(() => setDraft(value), [value]);
  return (
    <form
      className="toolbar"
      role="search"
      onSubmit={(e) => {
        e.preventDefault();
        onSearch(draft.trim());
      }}
    >
      <input className="input grow" data-page-search aria-label={label} placeholder={placeholder} value={draft} onChange={(e) => setDraft(e.target.value)} />
      <button className="btn" type="submit">
        SEARCH
      </button>
      {children}
    </form>
  );
}

/** Segments is a pressed-button group choosing one of options (keys are values, entries labels). */
export function Segments<K extends string>({ label, options, value, onChange }: { label: string; options: Record<K, string>; value: K; onChange: (k: K) => void }) {
  return (
    <div className="seg-group" role="group" aria-label={label}>
      {(Object.keys(options) as K[]).map((k) => (
        <button key={k || '_all'} type="button" className={`seg${k === value ? ' active' : ''}`} aria-pressed={k === value} onClick={() => onChange(k)}>
          {options[k]}
        </button>
      ))}
    </div>
  );
}

/** ServiceSelect filters by service: the fleet's services, plus the URL's one if the fleet no longer runs it. */
export function ServiceSelect({ services, value, onChange }: { services: string[]; value: string; onChange: (s: string) => void }) {
  return (
    <select className="input" aria-label="Service" value={value} onChange={(e) => onChange(e.target.value)}>
      <option value="">ALL SERVICES</option>
      {[...new Set([...services, ...(value ? [value] : [])])].map((s) => (
        <option key={s} value={s}>
          {s.toUpperCase()}
        </option>
      ))}
    </select>
  );
}
