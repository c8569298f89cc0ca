import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { describe, expect, it, vi } from 'vitest';
import { fetchMock, reply } from '../test/fetchMock';
import { renderAt } from '../test/render';
import Webhooks from './Webhooks';

const ok = {
  uuid: 'w1', name: 'siem', url: 'https://siem.example/hook', topic_patterns: ['attacker.>'], enabled: true, consecutive_failures: 0,
  last_success_at: '2026-11-26T10:00:00Z', last_failure_at: null, last_error: null, auto_disabled_at: null, created_at: '2026-11-26T09:00:00Z', updated_at: '2026-11-26T09:00:00Z', warnings: [],
};
const bad = {
  ...ok, uuid: 'w2', name: 'chat', url: 'http://chat.local/in', topic_patterns: ['decky.*.state', 'system.>'], enabled: false, consecutive_failures: 5,
  last_error: 'dial tcp: connection refused', last_failure_at: '2026-11-26T10:05:00Z', auto_disabled_at: '2026-11-26T10:06:00Z',
};

function mock(role = 'admin', hooks: unknown[] = [ok, bad]) {
  fetchMock.on('GET', '/config', { role });
  fetchMock.on('GET', '/webhooks', hooks);
}

describe('Webhooks', () => {
  it('lists subscriptions with their status and the plaintext warning', async () => {
    mock();
    renderAt(<Webhooks />, '/webhooks');
    const siem = (await screen.findByText('siem')).closest('tr')!;
    expect(siem).toHaveTextContent('ENABLED');
    expect(siem).toHaveTextContent('attacker.>');
    const chat = screen.getByText('chat').closest('tr')!;
    expect(chat).toHaveTextContent('TRIPPED · 2026-11-26 10:06:00');
    expect(chat).toHaveTextContent('FAIL · 5');
    expect(chat).toHaveTextContent('dial tcp: connection refused');
    expect(screen.getByText('2 CONFIGURED · 1 ENABLED · 1 FAILING')).toBeInTheDocument();
    expect(screen.getByText(/EVENT BODIES TRAVEL PLAINTEXT/)).toBeInTheDocument();
  });

  it('creates a webhook and shows the secret once with a copy button; focus returns on close', async () => {
    const user = userEvent.setup();
    const writeText = vi.fn(() => Promise.resolve());
    Object.defineProperty(navigator, 'clipboard', { value: { writeText }, configurable: true });
    mock();
    fetchMock.on('POST', '/webhooks', reply(201, { ...ok, uuid: 'w3', name: 'new', secret: 's3cr3t-once' }));
    renderAt(<Webhooks />, '/webhooks');
    const open = await screen.findByRole('button', { name: '+ NEW WEBHOOK' });
    await user.click(open);
    const dialog = screen.getByRole('dialog', { name: 'NEW WEBHOOK' });
    expect(within(dialog).getByLabelText('NAME')).toHaveFocus();
    await user.type(within(dialog).getByLabelText('NAME'), 'new');
    await user.type(within(dialog).getByLabelText('URL'), 'https://x.example/h');
    await user.click(within(dialog).getByRole('checkbox', { name: /DeckyStatus/ }));
    await user.type(within(dialog).getByLabelText('TOPIC PATTERNS (ONE PER LINE)'), 'attacker.>{Enter}  {Enter}system.>');
    await user.click(within(dialog).getByRole('button', { name: 'CREATE' }));
    const secret = await screen.findByRole('dialog', { name: 'WEBHOOK SECRET · new' });
    expect(fetchMock.calls('POST', '/webhooks')[0]!.body).toEqual({
      name: 'new', url: 'https://x.example/h', simple_events: ['DeckyStatus'], topic_patterns: ['attacker.>', 'system.>'], enabled: true,
    });
    expect(within(secret).getByLabelText('Webhook secret')).toHaveTextContent('s3cr3t-once');
    await user.click(within(secret).getByRole('button', { name: 'COPY' }));
    expect(writeText).toHaveBeenCalledWith('s3cr3t-once');
    expect(await screen.findByText('SECRET COPIED')).toBeInTheDocument();
    await user.click(within(secret).getByRole('button', { name: 'DONE' }));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(screen.queryByText('s3cr3t-once')).toBeNull();
    expect(open).toHaveFocus();
  });

  it('toggles with PATCH, test-fires into a toast and deletes behind the arm', async () => {
    const user = userEvent.setup();
    mock();
    fetchMock.on('PATCH', '/webhooks/w1', { ...ok, enabled: false });
    fetchMock.on('POST', '/webhooks/w1/test', { delivered: true, status_code: 204, attempts: 1, blocked: false });
    fetchMock.on('POST', '/webhooks/w2/test', { delivered: false, status_code: 500, error: 'HTTP 500', attempts: 3, blocked: false });
    fetchMock.on('DELETE', '/webhooks/w2', reply(204));
    renderAt(<Webhooks />, '/webhooks');
    await user.click(await screen.findByRole('button', { name: 'Disable siem' }));
    await vi.waitFor(() => expect(fetchMock.calls('PATCH', '/webhooks/w1')[0]?.body).toEqual({ enabled: false }));
    expect(await screen.findByText('DISABLED · siem')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Test siem' }));
    expect(await screen.findByText('TEST DELIVERED · siem · HTTP 204')).toBeInTheDocument();
    await user.click(screen.getByRole('button', { name: 'Test chat' }));
    expect(await screen.findByText('TEST FAILED · chat · HTTP 500')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Delete chat' }));
    expect(fetchMock.calls('DELETE', '/webhooks/w2')).toHaveLength(0);
    await user.click(screen.getByRole('button', { name: 'Confirm Delete chat' }));
    expect(await screen.findByText('DELETED · chat')).toBeInTheDocument();
    expect(fetchMock.calls('DELETE', '/webhooks/w2')).toHaveLength(1);
  });

  it('shows the API error detail in a toast', async () => {
    const user = userEvent.setup();
    mock();
    fetchMock.on('POST', '/webhooks', reply(400, { detail: 'url resolves to a private address' }));
    renderAt(<Webhooks />, '/webhooks');
    await user.click(await screen.findByRole('button', { name: '+ NEW WEBHOOK' }));
    await user.type(screen.getByLabelText('NAME'), 'x');
    await user.type(screen.getByLabelText('URL'), 'http://10.0.0.1/');
    await user.click(screen.getByRole('checkbox', { name: /SystemStatus/ }));
    await user.click(screen.getByRole('button', { name: 'CREATE' }));
    expect(await screen.findByText('CREATE FAILED · url resolves to a private address')).toBeInTheDocument();
    expect(screen.getByRole('dialog', { name: 'NEW WEBHOOK' })).toBeInTheDocument();
  });

  it('viewers get no list and no actions', async () => {
    fetchMock.on('GET', '/config', { role: 'viewer' });
    renderAt(<Webhooks />, '/webhooks');
    expect(await screen.findByText('ADMIN ROLE REQUIRED')).toBeInTheDocument();
    expect(screen.queryByRole('button')).toBeNull();
    expect(fetchMock.calls('GET', '/webhooks')).toHaveLength(0);
  });
});
