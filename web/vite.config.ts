import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// The bundle is embedded in the server binary (see docs/web-ui.md). Asset names carry a content
// hash, so the server can let browsers keep them for a year; index.html is served no-cache.
export default defineConfig({
  plugins: [preact()],
  base: '/',
  build: {
    outDir: process.env.VESTIBULE_WEB_OUT ?? 'dist',
    emptyOutDir: true,
    target: 'es2022',
    assetsDir: 'assets',
    // No inline script anywhere: the page's Content-Security-Policy allows only 'self'.
    modulePreload: { polyfill: false },
    assetsInlineLimit: 0,
    sourcemap: false,
    reportCompressedSize: false,
    chunkSizeWarningLimit: 2048,
  },
  server: {
    proxy: {
      '/api': 'http://127.0.0.1:8080',
    },
  },
});
