import './lib/zodConfig';
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { createAppI18n } from './i18n';
import { i18nTarget, localeSwitcher } from './i18n/switch';
import { applyAppearance } from './lib/appearance';
import { registerOfflineShell } from './lib/offlineShell';
import { catchUnhandled } from './lib/unhandledErrors';
import { useDiagnosticsStore } from './stores/diagnostics';
import { useSettingsStore } from './stores/settings';
import './styles/theme.css';

const pinia = createPinia();
const settings = useSettingsStore(pinia);
const i18n = createAppI18n();
// A locale other than English is a chunk of its own: mount once it is in force.
void applyAppearance(settings, localeSwitcher(i18nTarget(i18n))).then(() => {
  const app = createApp(App).use(pinia).use(i18n);
  catchUnhandled(app, useDiagnosticsStore(pinia).record);
  app.mount('#app');
  registerOfflineShell();
});
