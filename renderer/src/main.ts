import './lib/zodConfig';
import { createPinia } from 'pinia';
import { createApp } from 'vue';
import App from './App.vue';
import { createAppI18n } from './i18n';
import { applyAppearance } from './lib/appearance';
import { registerOfflineShell } from './lib/offlineShell';
import { useSettingsStore } from './stores/settings';
import './styles/theme.css';

const pinia = createPinia();
const settings = useSettingsStore(pinia);
const i18n = createAppI18n(settings.locale);
applyAppearance(settings, i18n);

createApp(App).use(pinia).use(i18n).mount('#app');
registerOfflineShell();
