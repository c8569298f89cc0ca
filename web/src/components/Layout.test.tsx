import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Route, Routes } from 'react-router-dom';
import { describe, expect, it } from 'vitest';
import { getToken } from '../lib/api';
import { NAV } from '../lib/nav';
import { fetchMock } from '../test/fetchMock';
import { renderAt } from '../test/render';
import { Layout } from './Layout';

function app(role = 'admin') {
  fetchMock.on('GET', '/config', { role });
  fetchMock.on('POST', '/auth/logout', null);
  return renderAt(
    <Layout>
      <Routes>
        <Route path="/" element={<h2>dash page</h2>} />
        <Route path="/live-logs" element={<input aria-label="page search" data-page-search />} />
        <Route path="/attackers" element={<h2>attackers page</h2>} />
      </Routes>
    </Layout>,
  );
}

describe('Layout', () => {
  it('lists only built pages and shows the real role', async () => {
    app();
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(await screen.findByText(/· ADMIN/)).toBeInTheDocument();
    expect([...nav.querySelectorAll('a')].map((a) => a.textContent)).toEqual(NAV.map((n) => n.label.toUpperCase()));
    expect(NAV.map((n) => n.label)).toEqual(expect.arrayContaining(['Decoy Fleet', 'Webhooks']));
    expect(NAV.map((n) => n.path)).toEqual(expect.arrayContaining(['/ttp/rules', '/config']));
    expect(new Set(NAV.map((n) => n.chord)).size).toBe(NAV.length);
    expect(screen.getByTestId('conn-state')).toHaveTextContent('NO STREAM');
  });

  it('hides admin-only pages (webhooks) from viewers in the sidebar, palette, help and G chords', async () => {
    const user = userEvent.setup();
    app('viewer');
    expect(await screen.findByText(/· VIEWER/)).toBeInTheDocument();
    const nav = screen.getByRole('navigation', { name: 'Main' });
    expect(nav).toHaveTextContent('DECOY FLEET');
    expect(nav).not.toHaveTextContent('WEBHOOKS');
    await user.keyboard('?');
    expect(screen.getByText('G F')).toBeInTheDocument();
    expect(screen.queryByText('G W')).toBeNull();
    await user.keyboard('{Escape}');
    await user.keyboard('{Alt>}k{/Alt}');
    await user.type(screen.getByLabelText('Command'), 'webhooks');
    expect(screen.queryByRole('option', { name: /Webhooks/ })).toBeNull();
  });

  it('Alt+K opens the palette; its commands navigate, toggle the theme and log out', async () => {
    const user = userEvent.setup();
    app();
    await user.keyboard('{Alt>}k{/Alt}');
    const input = screen.getByLabelText('Command');
    expect(input).toHaveFocus();
    await user.type(input, 'attack');
    await user.keyboard('{Enter}');
    expect(await screen.findByText('attackers page')).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).toBeNull();

    await user.keyboard('{Alt>}k{/Alt}');
    await user.type(screen.getByLabelText('Command'), 'theme{Enter}');
    expect(document.documentElement.dataset.theme).toBe('light');
    expect(await screen.findByText('THEME · LIGHT')).toBeInTheDocument();

    await user.keyboard('{Alt>}k{/Alt}');
    await user.type(screen.getByLabelText('Command'), 'log out{Enter}');
    expect(getToken()).toBeNull();
    expect(fetchMock.calls('POST', '/auth/logout')).toHaveLength(1);
  });

  it('G chords navigate, / focuses the page search and ? opens the help', async () => {
    const user = userEvent.setup();
    app();
    await user.keyboard('ga');
    expect(await screen.findByText('attackers page')).toBeInTheDocument();
    await user.keyboard('gl');
    await user.keyboard('/');
    expect(screen.getByLabelText('page search')).toHaveFocus();
    screen.getByLabelText('page search').blur();
    await user.keyboard('?');
    expect(screen.getByRole('dialog', { name: 'KEYBOARD SHORTCUTS' })).toBeInTheDocument();
    expect(screen.getByText('G A')).toBeInTheDocument();
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
    await user.keyboard('gd');
    expect(await screen.findByText('dash page')).toBeInTheDocument();
  });
});
