/** saveBlob saves a blob under filename through a temporary object URL. */
export function saveBlob(filename: string, blob: Blob): void {
  const href = URL.createObjectURL(blob);
  const a = document.createElement('a');
  a.href = href;
  a.download = filename;
  document.body.appendChild(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(href), 0);
}

/** downloadJSON saves data as a pretty-printed JSON file. */
export function downloadJSON(filename: string, data: unknown): void {
  saveBlob(filename, new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
}

/** downloadText saves text under name with the given MIME type. */
export function downloadText(name: string, text: string, type = 'text/csv'): void {
  saveBlob(name, new Blob([text], { type }));
}
