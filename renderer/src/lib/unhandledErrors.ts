import type { App } from 'vue';

/** Where an error nothing else caught is sent: its source and the error. */
export type ErrorSink = (source: string, error: unknown) => void;

/**
 * Sends every error nothing else caught to `record`: Vue's (rendering,
 * watchers, event handlers), uncaught exceptions and unhandled promise
 * rejections of the window.
 */
export function catchUnhandled(app: App, record: ErrorSink, target: Window = window): void {
  app.config.errorHandler = (error, _instance, info) => record(`vue: ${info}`, error);
  target.addEventListener('error', (event) => record('uncaught', event.error ?? event.message));
  target.addEventListener('unhandledrejection', (event) => record('unhandled', event.reason));
}
