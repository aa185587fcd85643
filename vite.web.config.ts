import { fileURLToPath } from 'node:url';
import vue from '@vitejs/plugin-vue';
import { defineConfig, type Plugin } from 'vite';

const at = (path: string) => fileURLToPath(new URL(path, import.meta.url));

/**
 * Writes `shell.json`, every script and style of the build: the service
 * worker (renderer/public/sw.js) keeps the lazy chunks too (settings,
 * dialogs, the second locale), so they open while the server is down.
 */
function shellList(): Plugin {
  return {
    name: 'tickline-shell-list',
    generateBundle(_options, bundle) {
      const files = Object.keys(bundle).filter((name) => /\.(js|css)$/.test(name));
      this.emitFile({
        type: 'asset',
        fileName: 'shell.json',
        source: JSON.stringify(files.sort()),
      });
    },
  };
}

/**
 * The web build of the renderer (`out/web`), served by `npm run serve` at `/`.
 * Relative asset paths (`base: './'`) so the same bundle also works under
 * the desktop app's `app://tickline/` protocol.
 */
export default defineConfig({
  root: at('./renderer'),
  base: './',
  plugins: [vue(), shellList()],
  define: {
    __VUE_OPTIONS_API__: 'false',
    __VUE_PROD_DEVTOOLS__: 'false',
    __VUE_PROD_HYDRATION_MISMATCH_DETAILS__: 'false',
    __VUE_I18N_FULL_INSTALL__: 'false',
    __VUE_I18N_LEGACY_API__: 'false',
    __INTLIFY_PROD_DEVTOOLS__: 'false',
  },
  build: {
    outDir: at('./out/web'),
    emptyOutDir: true,
    chunkSizeWarningLimit: 1024,
    rolldownOptions: {
      input: { index: at('./renderer/index.html') },
      // What the first view needs is one chunk; lazy parts (settings, dialogs,
      // the second locale, the emoji picker) are chunks of their own.
      output: { codeSplitting: { groups: [{ name: 'index', tags: ['$initial'] }] } },
    },
  },
});
