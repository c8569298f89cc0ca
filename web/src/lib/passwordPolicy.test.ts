import { describe, expect, it } from 'vitest';
import { passwordOk } from './passwordPolicy';

describe('passwordOk', () => {
  it('needs 12 characters, at most 72 bytes and a matching confirmation', () => {
    expect(passwordOk('abcdefghijk', 'abcdefghijk')).toBe(false);
    expect(passwordOk('abcdefghijkl', 'abcdefghijkl')).toBe(true);
    expect(passwordOk('abcdefghijkl', 'abcdefghijkX')).toBe(false);
    const multibyte = 'é'.repeat(37); // 74 bytes
    expect(passwordOk(multibyte, multibyte)).toBe(false);
  });
});
