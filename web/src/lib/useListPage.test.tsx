import { act, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useLocation } from 'react-router-dom';
import { describe, expect, it, vi } from 'vitest';
import { ListSection } from '../components/ListPage';
import { fetchMock, reply, type Call } from '../test/fetchMock';
import { renderAt } from '../test/render';
import { useListPage } from './useListPage';

interface Row {
  name: string;
}

/** Harness is the smallest list page: two filters in the URL, a table, a pager and a drawer slot. */
function Harness() {
  const list = useListPage<Row>({
    path: '/things',
    limit: 10,
    defaults: { q: '', kind: 'all' },
    query: (url) => ({ search: url.get('q'), kind: url.get('kind') }),
  });
  const { search } = useLocation();
  return (
    <>
      <output aria-label="url">{search}</output>
      <button type="button" onClick={() => list.set({ kind: 'b' })}>
        KIND B
      </button>
      <button type="button" onClick={list.reload}>
        RELOAD
      </button>
      <ListSection
        list={list}
        title="THINGS"
        errorPrefix="FAILED TO LOAD THINGS"
        columns={[{ key: 'name', header: 'NAME', render: (r) => r.name }]}
        rowKey={(r) => r.name}
        caption="Things"
        onRowActivate={list.select}
        rowLabel={(r) => `Open ${r.name}`}
        empty={{ title: 'NOTHING HERE' }}
      />
      {list.selected && <div>selected {list.selected.name}</div>}
    </>
  );
}

/** rowsFor answers with one row named after the request's kind and offset, so each answer is recognisable. */
const rowsFor = (c: Call) => ({ data: [{ name: `row-${c.query.get('kind')}-${c.query.get('offset')}` }], total: 45, limit: 10, offset: Number(c.query.get('offset')) });

const lastQuery = () => Object.fromEntries(fetchMock.calls('GET', '/things').at(-1)!.query);
const settled = () => waitFor(() => expect(screen.getByRole('table', { name: 'Things' })).not.toHaveAttribute('aria-busy'));

/** holdNextFetch holds the next request back until release() (the mock still records and answers it then). */
function holdNextFetch() {
  let release!: () => void;
  const gate = new Promise<void>((r) => (release = r));
  vi.mocked(globalThis.fetch).mockImplementationOnce(async (input, init) => {
    await gate;
    return fetchMock.handle(input as RequestInfo, init);
  });
  return { release };
}

describe('useListPage', () => {
  it('sends the URL params as the request, pages with them, and opens a row', async () => {
    const user = userEvent.setup();
    fetchMock.on('GET', '/things', rowsFor);
    renderAt(<Harness />, '/things?q=foo&kind=a&offset=20');
    expect(await screen.findByText('row-a-20')).toBeInTheDocument();
    expect(fetchMock.calls('GET', '/things')).toHaveLength(1);
    expect(lastQuery()).toEqual({ limit: '10', offset: '20', search: 'foo', kind: 'a' });
    expect(screen.getByText('PAGE 3 OF 5')).toBeInTheDocument();

    // While the next page loads, the shown one stays, marked busy.
    const next = holdNextFetch();
    await user.click(screen.getByRole('button', { name: 'Next page' }));
    expect(screen.getByText('row-a-20')).toBeInTheDocument();
    expect(screen.getByRole('table', { name: 'Things' })).toHaveAttribute('aria-busy', 'true');
    act(() => next.release());
    expect(await screen.findByText('row-a-30')).toBeInTheDocument();
    await settled();
    expect(lastQuery()).toEqual({ limit: '10', offset: '30', search: 'foo', kind: 'a' });
    expect(screen.getByRole('status', { name: 'url' })).toHaveTextContent('?q=foo&kind=a&offset=30');

    await user.click(screen.getByRole('row', { name: 'Open row-a-30' }));
    expect(screen.getByText('selected row-a-30')).toBeInTheDocument();
  });

  it('sends a filter’s default when the URL has none, and shows the empty state', async () => {
    fetchMock.on('GET', '/things', { data: [], total: 0, limit: 10, offset: 0 });
    renderAt(<Harness />, '/things');
    expect(await screen.findByText('NOTHING HERE')).toBeInTheDocument();
    expect(lastQuery()).toEqual({ limit: '10', offset: '0', kind: 'all' });
  });

  it('resets the page when a filter changes', async () => {
    const user = userEvent.setup();
    fetchMock.on('GET', '/things', rowsFor);
    renderAt(<Harness />, '/things?q=foo&offset=20');
    await screen.findByText('row-all-20');
    await user.click(screen.getByRole('button', { name: 'KIND B' }));
    expect(await screen.findByText('row-b-0')).toBeInTheDocument();
    expect(lastQuery()).toEqual({ limit: '10', offset: '0', search: 'foo', kind: 'b' });
    expect(screen.getByRole('status', { name: 'url' })).toHaveTextContent('?q=foo&kind=b');
    expect(screen.getByText('PAGE 1 OF 5')).toBeInTheDocument();
  });

  it('never lets a stale answer overwrite a newer one, and aborts the stale request', async () => {
    const user = userEvent.setup();
    fetchMock.on('GET', '/things', rowsFor);
    // The first request is held back until the second has landed.
    const first = holdNextFetch();
    const fetchFn = vi.mocked(globalThis.fetch);
    renderAt(<Harness />, '/things');
    expect(screen.getByRole('table', { name: 'Things' })).toHaveAttribute('aria-busy', 'true');
    await user.click(screen.getByRole('button', { name: 'KIND B' }));
    expect(await screen.findByText('row-b-0')).toBeInTheDocument();
    expect(fetchFn.mock.calls[0]![1]!.signal!.aborted).toBe(true);
    expect(fetchFn.mock.calls[1]![1]!.signal!.aborted).toBe(false);

    await act(async () => {
      first.release();
      await waitFor(() => expect(fetchMock.calls('GET', '/things').map((c) => c.query.get('kind'))).toEqual(['b', 'all']));
      await new Promise((r) => setTimeout(r, 20));
    });
    expect(screen.getByText('row-b-0')).toBeInTheDocument();
    expect(screen.queryByText('row-all-0')).toBeNull();
    await settled();
  });

  it('shows an error, keeps it while the page reloads and clears it when a request succeeds', async () => {
    const user = userEvent.setup();
    fetchMock.on('GET', '/things', reply(500, { detail: 'database is locked' }));
    renderAt(<Harness />, '/things');
    expect(await screen.findByRole('alert')).toHaveTextContent('FAILED TO LOAD THINGS: database is locked');

    fetchMock.on('GET', '/things', reply(503, { detail: 'still locked' }));
    await user.click(screen.getByRole('button', { name: 'RELOAD' }));
    expect(await screen.findByText('FAILED TO LOAD THINGS: still locked')).toBeInTheDocument();

    fetchMock.on('GET', '/things', rowsFor);
    const reload = holdNextFetch();
    await user.click(screen.getByRole('button', { name: 'RELOAD' }));
    expect(screen.getByRole('alert')).toHaveTextContent('FAILED TO LOAD THINGS: still locked');
    act(() => reload.release());
    expect(await screen.findByText('row-all-0')).toBeInTheDocument();
    expect(screen.queryByRole('alert')).toBeNull();
    expect(fetchMock.calls('GET', '/things')).toHaveLength(3);
  });

  it('clears the error as soon as a filter changes', async () => {
    const user = userEvent.setup();
    fetchMock.on('GET', '/things', reply(500, { detail: 'database is locked' }));
    renderAt(<Harness />, '/things');
    expect(await screen.findByRole('alert')).toHaveTextContent('database is locked');
    const next = holdNextFetch();
    fetchMock.on('GET', '/things', rowsFor);
    await user.click(screen.getByRole('button', { name: 'KIND B' }));
    expect(screen.queryByRole('alert')).toBeNull();
    act(() => next.release());
    expect(await screen.findByText('row-b-0')).toBeInTheDocument();
  });
});
