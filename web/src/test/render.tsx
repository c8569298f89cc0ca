import { render } from '@testing-library/react';
import type { ReactElement } from 'react';
import { MemoryRouter, Route, Routes } from 'react-router-dom';
import { ToastProvider } from '../components/Toast';
import { AuthProvider } from '../lib/auth';

/** renderAt renders ui at url inside the app's providers; path names the route pattern for params. */
export function renderAt(ui: ReactElement, url = '/', path = '*') {
  sessionStorage.setItem('decnet_token', sessionStorage.getItem('decnet_token') ?? 'test-token');
  return render(
    <MemoryRouter initialEntries={[url]}>
      <AuthProvider>
        <ToastProvider>
          <Routes>
            <Route path={path} element={ui} />
          </Routes>
        </ToastProvider>
      </AuthProvider>
    </MemoryRouter>,
  );
}
