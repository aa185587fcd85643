import { mount } from '@vue/test-utils';
import { vi } from 'vitest';
import { defineComponent } from 'vue';
import { useIncomingAlert } from '../../../renderer/src/lib/useIncomingAlert';
import { plugins } from './helpers';

/** One desktop notification the app constructed. */
export interface ShownNotification {
  title: string;
  body: string | undefined;
  tag: string | undefined;
  silent: boolean | null | undefined;
}

/** Oscillator starts and stops (in audio seconds) of every beep played. */
export interface Beep {
  start: number;
  stop: number;
}

// One list for every stub: the app keeps its first AudioContext for later beeps.
const beeps: Beep[] = [];

/**
 * Replaces `Notification` (with `permission`) and `AudioContext` by
 * recorders, and makes the window unfocused (`visibility` as given).
 * Undo with `vi.unstubAllGlobals()` and `vi.restoreAllMocks()`.
 */
export function stubAlerts(
  permission: NotificationPermission = 'granted',
  visibility: DocumentVisibilityState = 'visible',
): { shown: ShownNotification[]; beeps: Beep[] } {
  const shown: ShownNotification[] = [];
  beeps.length = 0;
  class FakeNotification {
    static permission = permission;
    onclick: (() => void) | null = null;
    constructor(title: string, options: NotificationOptions = {}) {
      shown.push({ title, body: options.body, tag: options.tag, silent: options.silent });
    }
    close(): void {}
  }
  class FakeAudioContext {
    state = 'running';
    currentTime = 10;
    destination = {};
    resume = async () => undefined;
    createGain() {
      return {
        gain: { setValueAtTime: () => undefined, exponentialRampToValueAtTime: () => undefined },
        connect: () => undefined,
      };
    }
    createOscillator() {
      const beep: Beep = { start: NaN, stop: NaN };
      return {
        type: 'sine',
        frequency: { setValueAtTime: () => undefined },
        connect: () => undefined,
        start: (at: number) => {
          beep.start = at;
          beeps.push(beep);
        },
        stop: (at: number) => {
          beep.stop = at;
        },
      };
    }
  }
  vi.stubGlobal('Notification', FakeNotification);
  vi.stubGlobal('AudioContext', FakeAudioContext);
  vi.spyOn(document, 'hasFocus').mockReturnValue(false);
  vi.spyOn(document, 'visibilityState', 'get').mockReturnValue(visibility);
  return { shown, beeps };
}

/** Mounts the app's incoming-message handler with fresh stores (plugins returned for more mounts). */
export function mountIncomingAlert(): {
  setup: ReturnType<typeof plugins>;
  onIncoming: ReturnType<typeof useIncomingAlert>;
} {
  const setup = plugins();
  let onIncoming!: ReturnType<typeof useIncomingAlert>;
  mount(
    defineComponent({
      setup() {
        onIncoming = useIncomingAlert();
        return () => null;
      },
    }),
    setup,
  );
  return { setup, onIncoming };
}
