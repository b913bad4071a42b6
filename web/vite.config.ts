import { fileURLToPath } from 'node:url';
import react from '@vitejs/plugin-react';
import { defineConfig } from 'vite';

/**
 * The web app is built into web/dist and served by Flowline itself under /app (see
 * src/http/web-app.ts): no CDN, no separate server. `npm run dev:web` proxies the API to a
 * running Flowline for development.
 */
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/app/',
  plugins: [react()],
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    // A budget the bench checks (≤ 250 KB gzipped initial JavaScript); warn well before it.
    chunkSizeWarningLimit: 600,
  },
  server: {
    proxy: Object.fromEntries(
      ['/api', '/oauth', '/controller', '/subscription', '/version', '/openapi.json', '/docs'].map((prefix) => [prefix, process.env.FLOWLINE_URL ?? 'http://127.0.0.1:8080']),
    ),
  },
});
