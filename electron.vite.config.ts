import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig } from 'electron-vite';

const root = fileURLToPath(new URL('.', import.meta.url));
const at = (path: string) => resolve(root, path);

// `npm run build` (electron-vite build) writes out/main, out/preload and
// out/renderer; `npm start` (prestart, then electron-vite preview) builds and
// runs them; test/integration/bundle.test.ts runs the output under Node.
export default defineConfig({
  main: {
    build: {
      outDir: at('out/main'),
      // Dependencies stay in node_modules (better-sqlite3 is native: installers
      // rebuild it for Electron and unpack it from the asar; from the sources,
      // `npm start` builds an Electron copy apart from Node's, see desktop/sqliteBinding.ts).
      externalizeDeps: true,
      rolldownOptions: {
        input: {
          index: at('electron/main/index.ts'),
          serverProcess: at('desktop/serverProcess.ts'),
          // The store writer's worker thread, started by the embedded server.
          writerWorker: at('server/writerWorker.ts'),
        },
        output: { format: 'es', entryFileNames: '[name].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: at('out/preload'),
      // A sandboxed preload cannot require local files or node_modules: one
      // self-contained CommonJS file, only `electron` left external.
      externalizeDeps: false,
      isolatedEntries: true,
      rolldownOptions: {
        input: { index: at('electron/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: at('renderer'),
    base: './',
    plugins: [vue()],
    define: {
      __VUE_OPTIONS_API__: 'false',
      __VUE_PROD_DEVTOOLS__: 'false',
      __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
      __VUE_I18N_FULL_INSTALL__: 'false',
      __VUE_I18N_LEGACY_API__: 'false',
      __INTLIFY_PROD_DEVTOOLS__: 'false',
    },
    build: {
      outDir: at('out/renderer'),
      emptyOutDir: true,
      rolldownOptions: {
        input: { index: at('renderer/index.html') },
        // As the web build (vite.web.config.ts): the first view in one chunk,
        // settings, dialogs and the second locale in chunks of their own.
        output: { codeSplitting: { groups: [{ name: 'index', tags: ['$initial'] }] } },
      },
    },
  },
});
