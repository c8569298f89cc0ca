/// <reference types="vitest/config" />
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The build lands in the Go embed directory so `go run ./cmd/decnet up`
// serves it with no npm step; `make web` rebuilds it. The dev server
// proxies /api (REST and SSE) to a running decnet, DECNET_API_URL or
// http://127.0.0.1:8000 by default.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: '../internal/webui/dist',
    emptyOutDir: true,
    target: 'es2022',
    // No source maps in the committed build: they would double its size
    // and the embed would carry them into every binary.
    sourcemap: false,
    chunkSizeWarningLimit: 300,
  },
  server: {
    proxy: {
      '/api': { target: process.env.DECNET_API_URL ?? 'http://127.0.0.1:8000', changeOrigin: false },
    },
  },
  test: {
    environment: 'jsdom',
    globals: true,
    setupFiles: ['./src/test/setup.ts'],
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
  },
});
