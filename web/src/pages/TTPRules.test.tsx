import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { fetchMock, reply } from '../test/fetchMock';
import { renderAt } from '../test/render';
import TTPRules, { capError, expiryError, matches } from './TTPRules';

const enabled = {
  rule_id: 'R0013', rule_version: 2, name: 'SSH brute force', description: 'Many failed logins from one source', techniques: ['T1110.001'], applies_to: ['ssh'],
  state: 'enabled', confidence_max: null, expires_at: null, set_at: null,
};
const clipped = {
  rule_id: 'R0042', rule_version: 1, name: 'Beaconing', description: 'Regular callbacks', techniques: ['T1071'], state: 'clipped', confidence_max: 0.5,
  expires_at: '2030-01-01T00:00:00Z', reason: 'noisy on build hosts', set_by: 'admin', set_at: '2026-11-26T10:00:00Z',
};
const broken = { rule_id: '', rule_version: 0, name: '', description: '', state: '', confidence_max: null, expires_at: null, set_at: null, source: 'custom/bad.yaml', error: 'yaml: line 3: mapping values are not allowed' };

function mock(role = 'admin', rules: object[] = [enabled, clipped, broken]) {
  fetchMock.on('GET', '/config', { role, deployment_limit: 10, global_mutation_interval: '30m' });
  fetchMock.on('GET', '/ttp/rules', rules);
}

describe('TTP rules helpers', () => {
  it('validates the cap and the expiry and searches every text field', () => {
    expect(capError('0')).toBe('');
    expect(capError('1')).toBe('');
    expect(capError('0.25')).toBe('');
    for (const bad of ['', '1.1', '-0.1', 'x']) expect(capError(bad)).not.toBe('');
    expect(expiryError('')).toBe('');
    expect(expiryError('2020-01-01T00:00')).toBe('MUST BE IN THE FUTURE');
    expect(expiryError('2099-01-01T00:00')).toBe('');
    expect(matches(clipped as never, 'build NOISY')).toBe(true);
    expect(matches(clipped as never, 't1071')).toBe(true);
    expect(matches(clipped as never, 'ssh')).toBe(false);
  });
});

describe('TTPRules', () => {
  it('lists the catalogue with states, caps and broken files as error rows', async () => {
    mock();
    renderAt(<TTPRules />, '/ttp/rules');
    const row = await screen.findByRole('row', { name: 'Inspect rule R0042' });
    for (const t of ['R0042 v1', 'Beaconing', 'CLIPPED', '0.50', '2030-01-01 00:00:00', 'noisy on build hosts', 'admin', '2026-11-26 10:00:00']) {
      expect(within(row).getByText(t)).toBeInTheDocument();
    }
    const bad = screen.getByRole('row', { name: 'Inspect rule custom/bad.yaml' });
    expect(bad).toHaveClass('error-row');
    expect(within(bad).getByText('ERROR')).toBeInTheDocument();
    expect(within(bad).getByText(/mapping values are not allowed/)).toBeInTheDocument();
    expect(screen.getByText('3 RULES · 1 BROKEN FILE')).toBeInTheDocument();
  });

  it('filters by state and by text, client-side and in the URL', async () => {
    const user = userEvent.setup();
    mock();
    renderAt(<TTPRules />, '/ttp/rules?state=clipped');
    expect(await screen.findByRole('row', { name: 'Inspect rule R0042' })).toBeInTheDocument();
    expect(screen.queryByRole('row', { name: 'Inspect rule R0013' })).toBeNull();
    expect(screen.getByRole('button', { name: 'CLIPPED 1' })).toHaveAttribute('aria-pressed', 'true');
    await user.click(screen.getByRole('button', { name: 'ERROR 1' }));
    expect(screen.getByRole('row', { name: 'Inspect rule custom/bad.yaml' })).toBeInTheDocument();
    expect(screen.queryByRole('row', { name: 'Inspect rule R0042' })).toBeNull();
    await user.click(screen.getByRole('button', { name: 'ALL 3' }));
    await user.type(screen.getByRole('searchbox', { name: 'Search rules' }), 't1110');
    expect(screen.getByRole('row', { name: 'Inspect rule R0013' })).toBeInTheDocument();
    expect(screen.queryByRole('row', { name: 'Inspect rule R0042' })).toBeNull();
    await user.type(screen.getByRole('searchbox', { name: 'Search rules' }), ' nothing-matches');
    expect(screen.getByText('NO RULES MATCH')).toBeInTheDocument();
    expect(fetchMock.calls('GET', '/ttp/rules')).toHaveLength(1);
  });

  it('opens a drawer per rule and restores focus to the row', async () => {
    const user = userEvent.setup();
    mock();
    renderAt(<TTPRules />, '/ttp/rules');
    const row = await screen.findByRole('row', { name: 'Inspect rule R0013' });
    await user.click(row);
    const dialog = screen.getByRole('dialog', { name: 'RULE R0013 v2' });
    expect(within(dialog).getByText('Many failed logins from one source')).toBeInTheDocument();
    expect(within(dialog).getByText('T1110.001')).toBeInTheDocument();
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(row).toHaveFocus();
    await user.keyboard('{Enter}');
    expect(screen.getByRole('dialog', { name: 'RULE R0013 v2' })).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Close' }));
    expect(row).toHaveFocus();
  });

  it('disables a rule only on the second click', async () => {
    const user = userEvent.setup();
    mock();
    fetchMock.on('POST', '/ttp/rules/R0013/state', { rule_id: 'R0013', state: 'disabled', set_by: 'admin', set_at: '2026-11-26T11:00:00Z' });
    renderAt(<TTPRules />, '/ttp/rules');
    await user.click(await screen.findByRole('row', { name: 'Inspect rule R0013' }));
    const dialog = screen.getByRole('dialog', { name: 'RULE R0013 v2' });
    expect(within(dialog).queryByRole('button', { name: 'RE-ENABLE' })).toBeNull();
    await user.type(await within(dialog).findByRole('textbox', { name: 'REASON (OPTIONAL)' }), 'false positives');
    const disable = await within(dialog).findByRole('button', { name: 'Disable rule R0013' });
    await user.click(disable);
    expect(fetchMock.calls('POST')).toHaveLength(0);
    expect(disable).toHaveAttribute('data-armed', 'true');
    await user.click(disable);
    await vi.waitFor(() => expect(fetchMock.calls('POST', '/ttp/rules/R0013/state')[0]?.body).toEqual({ state: 'disabled', reason: 'false positives' }));
    expect(await screen.findByText('R0013 DISABLED')).toBeInTheDocument();
    await vi.waitFor(() => expect(fetchMock.calls('GET', '/ttp/rules')).toHaveLength(2));
  });

  it('clips with a validated cap, an optional expiry and reason, and shows API errors', async () => {
    const user = userEvent.setup();
    mock();
    fetchMock.on('POST', '/ttp/rules/R0013/state', reply(400, { detail: 'confidence_max must be between 0 and 1' }));
    renderAt(<TTPRules />, '/ttp/rules');
    await user.click(await screen.findByRole('row', { name: 'Inspect rule R0013' }));
    const dialog = screen.getByRole('dialog', { name: 'RULE R0013 v2' });
    const cap = await within(dialog).findByRole('spinbutton', { name: /CONFIDENCE CAP/ });
    const clip = within(dialog).getByRole('button', { name: 'CLIP' });
    await user.clear(cap);
    await user.type(cap, '1.5');
    expect(within(dialog).getByText('A NUMBER FROM 0 TO 1')).toBeInTheDocument();
    expect(clip).toBeDisabled();
    await user.clear(cap);
    await user.type(cap, '0.3');
    const expiry = within(dialog).getByLabelText(/EXPIRES/);
    await user.type(expiry, '2020-01-01T00:00');
    expect(within(dialog).getByText('MUST BE IN THE FUTURE')).toBeInTheDocument();
    expect(clip).toBeDisabled();
    await user.clear(expiry);
    await user.type(expiry, '2099-06-01T12:00');
    await user.type(within(dialog).getByRole('textbox', { name: 'REASON (OPTIONAL)' }), 'tuning');
    await user.click(clip);
    await vi.waitFor(() =>
      expect(fetchMock.calls('POST', '/ttp/rules/R0013/state')[0]?.body).toEqual({
        state: 'clipped', confidence_max: 0.3, expires_at: new Date('2099-06-01T12:00').toISOString(), reason: 'tuning',
      }),
    );
    expect(await screen.findByText('R0013: confidence_max must be between 0 and 1')).toHaveClass('toast-alert');
  });

  it('re-enables a clipped rule with DELETE and the drawer shows the new state', async () => {
    const user = userEvent.setup();
    mock();
    fetchMock.on('DELETE', '/ttp/rules/R0042/state', { rule_id: 'R0042', state: 'enabled' });
    renderAt(<TTPRules />, '/ttp/rules');
    await user.click(await screen.findByRole('row', { name: 'Inspect rule R0042' }));
    const dialog = screen.getByRole('dialog', { name: 'RULE R0042 v1' });
    expect(await within(dialog).findByRole('button', { name: 'UPDATE CLIP' })).toBeInTheDocument();
    fetchMock.on('GET', '/ttp/rules', [enabled, { ...clipped, state: 'enabled', confidence_max: null, expires_at: null, reason: '', set_by: '', set_at: null }, broken]);
    await user.click(within(dialog).getByRole('button', { name: 'RE-ENABLE' }));
    await vi.waitFor(() => expect(fetchMock.calls('DELETE', '/ttp/rules/R0042/state')).toHaveLength(1));
    expect(await screen.findByText('R0042 RE-ENABLED')).toBeInTheDocument();
    await vi.waitFor(() => expect(within(dialog).getByText('ENABLED')).toBeInTheDocument());
    expect(within(dialog).queryByRole('button', { name: 'RE-ENABLE' })).toBeNull();
  });

  it('shows a viewer no admin actions, and broken files no actions', async () => {
    const user = userEvent.setup();
    mock('viewer');
    renderAt(<TTPRules />, '/ttp/rules');
    await user.click(await screen.findByRole('row', { name: 'Inspect rule R0042' }));
    const dialog = screen.getByRole('dialog', { name: 'RULE R0042 v1' });
    await vi.waitFor(() => expect(fetchMock.calls('GET', '/config')).toHaveLength(1));
    expect(within(dialog).getByText(/NEEDS THE ADMIN ROLE/)).toBeInTheDocument();
    expect(within(dialog).queryByRole('button', { name: /DISABLE|CLIP|RE-ENABLE/i })).toBeNull();
    await user.keyboard('{Escape}');
    await user.click(screen.getByRole('row', { name: 'Inspect rule custom/bad.yaml' }));
    const bad = screen.getByRole('dialog', { name: 'RULE ?' });
    expect(within(bad).getByRole('alert')).toHaveTextContent('FAILED TO LOAD: yaml: line 3');
    expect(within(bad).getByText('custom/bad.yaml')).toBeInTheDocument();
  });

  it('shows a load failure', async () => {
    fetchMock.on('GET', '/config', reply(500, { detail: 'x' }));
    fetchMock.on('GET', '/ttp/rules', reply(503, { detail: 'the TTP rule catalogue is not available in this process' }));
    renderAt(<TTPRules />, '/ttp/rules');
    expect(await screen.findByText('FAILED TO LOAD RULES: the TTP rule catalogue is not available in this process')).toBeInTheDocument();
  });
});
