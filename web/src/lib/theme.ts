export type Theme = 'dark' | 'light';
const KEY = 'decnet_theme';

export function storedTheme(): Theme {
  try {
    return localStorage.getItem(KEY) === 'light' ? 'light' : 'dark';
  } catch {
    return 'dark';
  }
}

export function applyTheme(t: Theme): void {
  document.documentElement.dataset.theme = t;
  try {
    localStorage.setItem(KEY, t);
  } catch {
    /* storage blocked: the theme still applies for this page */
  }
}

export function toggleTheme(): Theme {
  const next: Theme = document.documentElement.dataset.theme === 'light' ? 'dark' : 'light';
  applyTheme(next);
  window.dispatchEvent(new Event('decnet:theme'));
  return next;
}
