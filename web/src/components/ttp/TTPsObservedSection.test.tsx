import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it } from 'vitest';
import { fetchMock, reply } from '../../test/fetchMock';
import { renderAt } from '../../test/render';
import type { TagRow, TechniqueRow } from '../../lib/types';
import { TTPsObservedSection } from './TTPsObservedSection';

const rows: TechniqueRow[] = [
  { technique_id: 'T1105', technique_name: 'Ingress Tool Transfer', tactic: 'TA0011', count: 1, first_seen: '2026-11-26T10:00:00Z', last_seen: '2026-11-26T10:00:00Z', confidence_max: 0.8 },
  { technique_id: 'T1098', technique_name: 'Account Manipulation', sub_technique_id: 'T1098.004', sub_technique_name: 'SSH Authorized Keys', tactic: 'TA0003', count: 2, first_seen: '2026-11-26T10:00:00Z', last_seen: '2026-11-26T10:01:00Z', confidence_max: 0.9 },
];

const tag: TagRow = {
  uuid: 'tag-1', source_kind: 'command', source_id: 'evt-9', attacker_uuid: 'a1', session_id: 's-7', tactic: 'TA0003', technique_id: 'T1098',
  sub_technique_id: 'T1098.004', confidence: 0.9, rule_id: 'R0042', rule_version: 3, created_at: '2026-11-26T10:01:00Z',
  evidence: { command_text: 'echo ssh-rsa AAAA >> ~/.ssh/authorized_keys', user: 'root', matched: ['authorized_keys'] },
};

// The inspector also looks up the ATT&CK groups of the technique it shows.
const noGroups = () => fetchMock.on('GET', /^\/ttp\/techniques\/[^/]+\/groups$/, []);

function mockAPI() {
  noGroups();
  fetchMock.on('GET', '/ttp/by-attacker/a1', rows);
  fetchMock.on('GET', '/ttp/tags/by-attacker/a1/T1098', (c) => {
    expect(c.query.get('sub_technique_id')).toBe('T1098.004');
    return [tag];
  });
}

describe('TTPsObservedSection', () => {
  it('groups techniques by tactic in kill-chain order', async () => {
    mockAPI();
    renderAt(<TTPsObservedSection scope="attacker" uuid="a1" />);
    const bars = await screen.findAllByRole('button', { name: /^Inspect / });
    expect(bars.map((b) => b.getAttribute('data-technique'))).toEqual(['T1098.004', 'T1105']); // PERSISTENCE before C2
    expect(screen.getByText('PERSISTENCE')).toBeInTheDocument();
    expect(screen.getByText('COMMAND AND CONTROL')).toBeInTheDocument();
  });

  it('opens the inspector on click with every tag and its evidence; Escape returns focus to the row', async () => {
    const user = userEvent.setup();
    mockAPI();
    renderAt(<TTPsObservedSection scope="attacker" uuid="a1" />);
    const row = await screen.findByRole('button', { name: /Inspect T1098.004/ });
    await user.click(row);
    const dialog = screen.getByRole('dialog', { name: 'T1098.004 — SSH Authorized Keys' });
    const card = await within(dialog).findByTestId('ttp-tag');
    expect(card).toHaveTextContent('R0042 v3');
    expect(card).toHaveTextContent('conf 0.90');
    expect(card).toHaveTextContent('command · evt-9');
    expect(card).toHaveTextContent('2026-11-26 10:01:00');
    expect(card).toHaveTextContent('COMMAND_TEXT');
    expect(card).toHaveTextContent('echo ssh-rsa AAAA >> ~/.ssh/authorized_keys');
    expect(card).toHaveTextContent('["authorized_keys"]');
    // Evidence order: known keys first (user before command_text), then alphabetical.
    const keys = within(card).getAllByRole('term').map((t) => t.textContent);
    expect(keys.slice(-3)).toEqual(['USER', 'COMMAND_TEXT', 'MATCHED']);
    expect(await within(dialog).findByText('No MITRE-tracked groups documented for this technique.')).toBeInTheDocument();
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(row).toHaveFocus();
  });

  it('opens with Enter and with Space from the keyboard alone', async () => {
    const user = userEvent.setup();
    mockAPI();
    fetchMock.on('GET', '/ttp/tags/by-attacker/a1/T1105', []);
    renderAt(<TTPsObservedSection scope="attacker" uuid="a1" />);
    await screen.findAllByRole('button', { name: /^Inspect / });
    await user.tab();
    expect(screen.getByRole('button', { name: /Inspect T1098.004/ })).toHaveFocus();
    await user.keyboard('{Enter}');
    const first = await screen.findByRole('dialog', { name: /T1098.004/ });
    await within(first).findByText('No MITRE-tracked groups documented for this technique.');
    await within(first).findByTestId('ttp-tag');
    await user.keyboard('{Escape}');
    await user.tab();
    expect(screen.getByRole('button', { name: /Inspect T1105/ })).toHaveFocus();
    await user.keyboard(' ');
    const dialog = await screen.findByRole('dialog', { name: /T1105/ });
    expect(await within(dialog).findByText('No tag rows in scope.')).toBeInTheDocument();
    await within(dialog).findByText('No MITRE-tracked groups documented for this technique.');
  });

  it('shows the empty and the error state', async () => {
    fetchMock.on('GET', '/ttp/by-attacker/none', []);
    renderAt(<TTPsObservedSection scope="attacker" uuid="none" />);
    expect(await screen.findByText('NO TECHNIQUES OBSERVED YET')).toBeInTheDocument();
  });

  it('reports a 403 on tag detail in words', async () => {
    const user = userEvent.setup();
    noGroups();
    fetchMock.on('GET', '/ttp/by-attacker/a1', rows);
    fetchMock.on('GET', '/ttp/tags/by-attacker/a1/T1105', reply(403, { detail: 'Forbidden' }));
    renderAt(<TTPsObservedSection scope="attacker" uuid="a1" />);
    await user.click(await screen.findByRole('button', { name: /Inspect T1105/ }));
    expect(await screen.findByRole('alert')).toHaveTextContent('Insufficient role for tag detail.');
    expect(await screen.findByText('No MITRE-tracked groups documented for this technique.')).toBeInTheDocument();
  });
});
