// Mirrors the server's ChangePasswordRequest: 12–72 characters, at most 72
// UTF-8 bytes (bcrypt's limit).
export const MIN_LEN = 12;
export const MAX_BYTES = 72;

export interface PolicyCheck {
  label: string;
  ok: boolean;
}

export function checkPassword(pw: string, confirm: string): PolicyCheck[] {
  const bytes = new TextEncoder().encode(pw).length;
  return [
    { label: `AT LEAST ${MIN_LEN} CHARACTERS`, ok: [...pw].length >= MIN_LEN },
    { label: `AT MOST ${MAX_BYTES} BYTES`, ok: bytes <= MAX_BYTES },
    { label: 'KEYS MATCH', ok: pw.length > 0 && pw === confirm },
  ];
}

export function passwordOk(pw: string, confirm: string): boolean {
  return checkPassword(pw, confirm).every((c) => c.ok);
}
