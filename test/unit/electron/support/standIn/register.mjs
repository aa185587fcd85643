/**
 * `node --import` this to run the built main process (out/main/index.js)
 * under plain Node: it resolves the `electron` import to `electron.mjs`.
 */
import { register } from 'node:module';

register('./hooks.mjs', import.meta.url);
