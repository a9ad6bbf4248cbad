import { defineConfig } from 'vite';

// The UI is served by `baton server start` at "/" next to the API at "/api";
// `npm run dev` proxies /api to a server given by BATON_API (default :4200).
export default defineConfig({
  base: '/',
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false, chunkSizeWarningLimit: 200 },
  server: { proxy: { '/api': (globalThis as { process?: { env: Record<string, string | undefined> } }).process?.env.BATON_API ?? 'http://127.0.0.1:4200' } },
  test: { include: ['test/**/*.test.ts'] },
} as never);
