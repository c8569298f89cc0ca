import { describe, expect, it } from 'vitest';
import { applyBackspaces, stripAnsi, terminalText } from './ansi';

describe('stripAnsi', () => {
  it('removes SGR colours and cursor movement', () => {
    expect(stripAnsi('\x1b[01;32mroot@host\x1b[00m:\x1b[01;34m~\x1b[00m# ')).toBe('root@host:~# ');
    expect(stripAnsi('a\x1b[2J\x1b[H\x1b[?2004hb\x1b[K')).toBe('ab');
  });
  it('removes OSC titles, charset switches and keypad modes', () => {
    expect(stripAnsi('\x1b]0;root@host: ~\x07$ ')).toBe('$ ');
    expect(stripAnsi('\x1b]2;title\x1b\\x')).toBe('x');
    expect(stripAnsi('\x1b(Bok\x1b=\x1b>')).toBe('ok');
  });
  it('normalises line endings and drops other controls', () => {
    expect(stripAnsi('one\r\ntwo\rthree\x07\x00\tend\n')).toBe('one\ntwothree\tend\n');
  });
  it('leaves plain text alone', () => {
    expect(stripAnsi('uname -a\nLinux')).toBe('uname -a\nLinux');
  });
});

describe('applyBackspaces', () => {
  it('erases the previous character, not across lines', () => {
    expect(applyBackspaces('lsx\b \b -la')).toBe('ls -la');
    expect(applyBackspaces('a\n\bb')).toBe('a\nb');
    expect(terminalText('\x1b[1mcatt\b \b\x1b[0m /etc/passwd\r\n')).toBe('cat /etc/passwd\n');
  });
});
