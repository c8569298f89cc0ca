// Terminal output for the session replay is shown as plain text in a <pre>:
// no terminal emulator, so escape sequences are removed rather than drawn.

// CSI (ESC [ … final), OSC (ESC ] … BEL or ST), DCS/SOS/PM/APC strings
// (ESC P|X|^|_ … ST), charset designations (ESC ( B) and the other
// two-character escapes (ESC 7, ESC =, ESC M …), plus 8-bit CSI.
const ESCAPES =
  // eslint-disable-next-line no-control-regex
  /\x1b\[[0-?]*[ -/]*[@-~]|\x9b[0-?]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)?|\x1b[PX^_][^\x1b]*(?:\x1b\\)?|\x1b[()*+][0-9A-Za-z]|\x1b[ -/]*[0-~]?/g;
// C0 controls other than \b, \t and \n, and DEL.
// eslint-disable-next-line no-control-regex
const CONTROLS = /[\x00-\x07\x0b-\x1f\x7f]/g;

/**
 * stripAnsi removes terminal escape sequences and control characters from
 * s, keeping printable text, tabs, newlines and backspaces (applyBackspaces
 * resolves those once the output is joined); \r\n becomes \n and a lone \r
 * is dropped.
 */
export function stripAnsi(s: string): string {
  return s.replace(ESCAPES, '').replace(/\r\n/g, '\n').replace(CONTROLS, '');
}

/** applyBackspaces erases the character before each \b (never across a newline), as the shell's "\b \b" echo does. */
export function applyBackspaces(s: string): string {
  if (!s.includes('\b')) return s;
  const out: string[] = [];
  for (const ch of s) {
    if (ch === '\b') {
      if (out.length > 0 && out[out.length - 1] !== '\n') out.pop();
    } else out.push(ch);
  }
  return out.join('');
}

/** terminalText is what a plain-text view shows for raw terminal output. */
export function terminalText(s: string): string {
  return applyBackspaces(stripAnsi(s));
}
