import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { describe, expect, it } from 'vitest';
import { Drawer } from './Drawer';

function Harness() {
  const [open, setOpen] = useState(false);
  return (
    <>
      <button onClick={() => setOpen(true)}>open inspector</button>
      <Drawer open={open} onClose={() => setOpen(false)} title="T1059.004 — Unix Shell">
        <a href="#x">first link</a>
        <button>last button</button>
      </Drawer>
    </>
  );
}

describe('Drawer', () => {
  it('is a labelled modal dialog that traps focus, closes on Escape and restores focus', async () => {
    const user = userEvent.setup();
    render(<Harness />);
    const opener = screen.getByRole('button', { name: 'open inspector' });
    await user.click(opener);
    const dialog = screen.getByRole('dialog', { name: 'T1059.004 — Unix Shell' });
    expect(dialog).toHaveAttribute('aria-modal', 'true');
    expect(document.body.style.overflow).toBe('hidden');
    const close = screen.getByRole('button', { name: 'Close' });
    expect(close).toHaveFocus();
    await user.tab();
    expect(screen.getByRole('link', { name: 'first link' })).toHaveFocus();
    await user.tab();
    expect(screen.getByRole('button', { name: 'last button' })).toHaveFocus();
    await user.tab();
    expect(close).toHaveFocus(); // wrapped
    await user.tab({ shift: true });
    expect(screen.getByRole('button', { name: 'last button' })).toHaveFocus();
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(opener).toHaveFocus();
    expect(document.body.style.overflow).toBe('');
  });

  it('closes on a backdrop click but not on a click inside the panel', async () => {
    const user = userEvent.setup();
    render(<Harness />);
    await user.click(screen.getByRole('button', { name: 'open inspector' }));
    await user.click(screen.getByRole('button', { name: 'last button' }));
    expect(screen.getByRole('dialog')).toBeInTheDocument();
    await user.click(screen.getByTestId('drawer-backdrop'));
    expect(screen.queryByRole('dialog')).toBeNull();
    expect(screen.getByRole('button', { name: 'open inspector' })).toHaveFocus();
  });
});
