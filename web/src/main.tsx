import { StrictMode } from 'react';
import { createRoot } from 'react-dom/client';
// Ubuntu Mono (web.md §4.1), bundled and served same-origin (CSP font-src
// 'self'): only the weights and subset the UI uses.
import '@fontsource/ubuntu-mono/latin-400.css';
import '@fontsource/ubuntu-mono/latin-700.css';
import { App } from './App';
import { applyTheme, storedTheme } from './lib/theme';
import './styles/app.css';

applyTheme(storedTheme());
createRoot(document.getElementById('root')!).render(
  <StrictMode>
    <App />
  </StrictMode>,
);
