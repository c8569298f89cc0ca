import { render, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { fetchMock, reply } from '../../test/fetchMock';
import { renderAt } from '../../test/render';
import type { AttackGroup, TechniqueRow } from '../../lib/types';
import { TTPInspector, groupURL } from './TTPInspector';

const sub: TechniqueRow = {
  technique_id: 'T1098',
  technique_name: 'Account Manipulation',
  sub_technique_id: 'T1098.004',
  sub_technique_name: 'SSH Authorized Keys',
  tactic: 'TA0003',
  count: 2,
  first_seen: '2026-11-26T10:00:00Z',
  last_seen: '2026-11-26T10:01:00Z',
  confidence_max: 0.9,
};
const plain: TechniqueRow = { ...sub, technique_id: 'T1110', technique_name: 'Brute Force', sub_technique_id: undefined, sub_technique_name: undefined, tactic: 'TA0006' };

const groups: AttackGroup[] = [
  { group_id: 'G0016', name: 'APT29', aliases: ['APT29', 'Cozy Bear', 'The Dukes'], mitre_url: 'https://attack.mitre.org/groups/G0016' },
  { group_id: 'G0139', name: 'TeamTNT', aliases: null },
];

const noTags = () => fetchMock.on('GET', /^\/ttp\/tags\/by-attacker\/a1\//, []);

describe('TTPInspector known groups', () => {
  it('fetches the groups of the sub-technique when it opens and links each to MITRE', async () => {
    noTags();
    fetchMock.on('GET', '/ttp/techniques/T1098.004/groups', groups);
    renderAt(<TTPInspector scope="attacker" uuid="a1" row={sub} onClose={() => undefined} />);
    const dialog = screen.getByRole('dialog', { name: 'T1098.004 — SSH Authorized Keys' });
    const section = within(dialog).getByRole('region', { name: /KNOWN GROUPS/ });
    expect(within(section).getByText('LOADING GROUPS…')).toBeInTheDocument();

    const items = await within(section).findAllByTestId('ttp-group');
    expect(section).toHaveAccessibleName('KNOWN GROUPS · 2');
    expect(items).toHaveLength(2);
    const apt29 = within(items[0]!).getByRole('link', { name: 'G0016 ↗' });
    expect(apt29).toHaveAttribute('href', 'https://attack.mitre.org/groups/G0016/');
    expect(apt29).toHaveAttribute('target', '_blank');
    expect(apt29).toHaveAttribute('rel', 'noreferrer');
    expect(items[0]).toHaveTextContent('APT29');
    // Aliases repeat the name in ATT&CK; it is shown once.
    expect(within(items[0]!).getByTitle('Cozy Bear, The Dukes')).toBeInTheDocument();
    expect(items[1]).toHaveTextContent('G0139 ↗TeamTNT');
    expect(within(section).queryByText('LOADING GROUPS…')).toBeNull();
    expect(fetchMock.calls('GET', '/ttp/techniques/T1098.004/groups')).toHaveLength(1);
    await within(dialog).findByText('No tag rows in scope.');
  });

  it('asks for the technique itself when there is no sub-technique, and says when no group is known', async () => {
    noTags();
    fetchMock.on('GET', '/ttp/techniques/T1110/groups', []);
    renderAt(<TTPInspector scope="attacker" uuid="a1" row={plain} onClose={() => undefined} />);
    expect(await screen.findByText('No MITRE-tracked groups documented for this technique.')).toBeInTheDocument();
    expect(screen.getByRole('region', { name: 'KNOWN GROUPS · 0' })).toBeInTheDocument();
    expect(screen.queryAllByTestId('ttp-group')).toHaveLength(0);
    await screen.findByText('No tag rows in scope.');
  });

  it('reports a technique missing from the catalogue and other failures in words', async () => {
    noTags();
    fetchMock.on('GET', '/ttp/techniques/T1098.004/groups', reply(404, { detail: 'Technique not found in the loaded ATT&CK catalogue' }));
    const { unmount } = renderAt(<TTPInspector scope="attacker" uuid="a1" row={sub} onClose={() => undefined} />);
    const section = screen.getByRole('region', { name: /KNOWN GROUPS/ });
    expect(await within(section).findByRole('alert')).toHaveTextContent('Technique not found in the ATT&CK catalogue.');
    await screen.findByText('No tag rows in scope.');
    unmount();

    fetchMock.on('GET', '/ttp/techniques/T1098.004/groups', reply(500, { detail: 'catalogue exploded' }));
    renderAt(<TTPInspector scope="attacker" uuid="a1" row={sub} onClose={() => undefined} />);
    const again = screen.getByRole('region', { name: /KNOWN GROUPS/ });
    expect(await within(again).findByRole('alert')).toHaveTextContent('catalogue exploded');
    // The evidence section is unaffected by a group lookup failure.
    expect(await screen.findByText('No tag rows in scope.')).toBeInTheDocument();
  });

  it('keeps a long list compact until asked for all of it', async () => {
    const user = userEvent.setup();
    noTags();
    const many = Array.from({ length: 30 }, (_, i) => ({ group_id: `G${String(i + 1).padStart(4, '0')}`, name: `Group ${i + 1}`, aliases: [] }));
    fetchMock.on('GET', '/ttp/techniques/T1110/groups', many);
    renderAt(<TTPInspector scope="attacker" uuid="a1" row={plain} onClose={() => undefined} />);
    expect(await screen.findAllByTestId('ttp-group')).toHaveLength(12);
    const more = screen.getByRole('button', { name: 'SHOW ALL 30' });
    expect(more).toHaveAttribute('aria-expanded', 'false');
    await user.click(more);
    expect(screen.getAllByTestId('ttp-group')).toHaveLength(30);
    expect(screen.getByRole('button', { name: 'SHOW FEWER' })).toHaveAttribute('aria-expanded', 'true');
    await screen.findByText('No tag rows in scope.');
  });

  it('fetches nothing while closed and refetches for another row', async () => {
    noTags();
    const seen = vi.fn();
    fetchMock.on('GET', /^\/ttp\/techniques\/[^/]+\/groups$/, (c) => {
      seen(c.path);
      return c.path.includes('T1110') ? [groups[1]] : [groups[0]];
    });
    // No providers: rerender swaps the row in place, as the section does.
    const { rerender } = render(<TTPInspector scope="attacker" uuid="a1" row={null} onClose={() => undefined} />);
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(fetchMock.calls()).toHaveLength(0);

    rerender(<TTPInspector scope="attacker" uuid="a1" row={sub} onClose={() => undefined} />);
    expect(await screen.findByText('APT29')).toBeInTheDocument();
    rerender(<TTPInspector scope="attacker" uuid="a1" row={plain} onClose={() => undefined} />);
    expect(await screen.findByText('TeamTNT')).toBeInTheDocument();
    expect(screen.queryByText('APT29')).toBeNull();
    expect(seen.mock.calls.map(([p]) => p)).toEqual(['/ttp/techniques/T1098.004/groups', '/ttp/techniques/T1110/groups']);
    await screen.findByText('No tag rows in scope.');
  });
});

describe('groupURL', () => {
  it('links only ATT&CK group ids', () => {
    expect(groupURL('G0007')).toBe('https://attack.mitre.org/groups/G0007/');
    expect(groupURL('G1045')).toBe('https://attack.mitre.org/groups/G1045/');
    expect(groupURL('javascript:alert(1)')).toBe('');
    expect(groupURL('../G0007')).toBe('');
  });
});
