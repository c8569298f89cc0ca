import '@testing-library/jest-dom/vitest';
import { cleanup } from '@testing-library/react';
import { afterEach, beforeEach } from 'vitest';
import { FakeEventSource } from './eventSource';
import { installFetchMock, fetchMock } from './fetchMock';

// Every unit test runs with a strict fetch mock (no network: an unmocked
// request fails the test) and a scriptable EventSource.
beforeEach(() => {
  installFetchMock();
  FakeEventSource.install();
  sessionStorage.clear();
  localStorage.clear();
});

afterEach(() => {
  cleanup();
  const unhandled = fetchMock.unhandled();
  fetchMock.reset();
  FakeEventSource.reset();
  if (unhandled.length > 0) throw new Error(`unmocked requests: ${unhandled.join(', ')}`);
});
