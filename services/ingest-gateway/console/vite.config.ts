import { defineConfig } from 'vite';
import preact from '@preact/preset-vite';

// The gateway serves the built files under /console/ (static) next to its SSE endpoint /console/events.
export default defineConfig({
  base: '/console/',
  plugins: [preact()],
  build: { outDir: 'dist', emptyOutDir: true },
});
