import { version } from '../../../package.json';
import { PROTOCOL_VERSION } from '../../../protocol/limits';
import { desktopBridge } from '../desktop/desktop';

/** What this copy of the app is and where it runs (for diagnostics). */
export interface AppInfo {
  /** `version` of package.json. */
  appVersion: string;
  /** The wire protocol version this app speaks. */
  protocolVersion: number;
  /** The desktop app (with its bridge) or the web client in a browser. */
  runtime: 'desktop' | 'web';
  userAgent: string;
}

/** This app's versions and runtime. */
export function appInfo(): AppInfo {
  return {
    appVersion: version,
    protocolVersion: PROTOCOL_VERSION,
    runtime: desktopBridge() ? 'desktop' : 'web',
    userAgent: navigator.userAgent,
  };
}
