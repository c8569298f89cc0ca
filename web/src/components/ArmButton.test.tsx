import { act, fireEvent, render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { useState } from 'react';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Drawer } from './Drawer';
import { ArmButton } from './ArmButton';

afterEach(() => vi.useRealTimers());

describe('ArmButton', () => {
  it('needs two clicks: the first arms with a countdown, the second fires', async () => {
    const user = userEvent.setup();
    const fire = vi.fn();
    render(<ArmButton label="TEAR DOWN" onFire={fire} />);
    await user.click(screen.getByRole('button', { name: 'TEAR DOWN' }));
    expect(fire).not.toHaveBeenCalled();
    const armed = screen.getByRole('button', { name: 'CONFIRM TEAR DOWN? 4s' });
    expect(armed).toHaveAttribute('data-armed', 'true');
    await user.click(armed);
    expect(fire).toHaveBeenCalledTimes(1);
    expect(screen.getByRole('button', { name: 'TEAR DOWN' })).not.toHaveAttribute('data-armed');
  });

  it('counts down and disarms after the window', () => {
    vi.useFakeTimers();
    const fire = vi.fn();
    render(<ArmButton label="DELETE" onFire={fire} />);
    fireEvent.click(screen.getByRole('button'));
    expect(screen.getByRole('button')).toHaveTextContent('CONFIRM DELETE? 4s');
    act(() => vi.advanceTimersByTime(1000));
    expect(screen.getByRole('button')).toHaveTextContent('CONFIRM DELETE? 3s');
    act(() => vi.advanceTimersByTime(3000));
    expect(screen.getByRole('button')).toHaveTextContent(/^DELETE$/);
    fireEvent.click(screen.getByRole('button'));
    expect(fire).not.toHaveBeenCalled();
  });

  it('disarms on blur and on Escape, and Escape does not close the drawer around it', async () => {
    const user = userEvent.setup();
    const fire = vi.fn();
    function Host() {
      const [open, setOpen] = useState(true);
      return (
        <Drawer open={open} onClose={() => setOpen(false)} title="D">
          <ArmButton label="REMOVE" ariaLabel="Remove ssh" onFire={fire} />
          <button type="button">other</button>
        </Drawer>
      );
    }
    render(<Host />);
    const b = screen.getByRole('button', { name: 'Remove ssh' });
    await user.click(b);
    expect(b).toHaveAccessibleName('Confirm Remove ssh');
    await user.keyboard('{Escape}');
    expect(b).toHaveAccessibleName('Remove ssh');
    expect(screen.getByRole('dialog')).toBeInTheDocument();
    await user.click(b);
    await user.click(screen.getByRole('button', { name: 'other' }));
    expect(b).toHaveAccessibleName('Remove ssh');
    await user.click(b);
    expect(fire).not.toHaveBeenCalled();
    await user.keyboard('{Escape}');
    await user.keyboard('{Escape}');
    expect(screen.queryByRole('dialog')).toBeNull();
  });
});
