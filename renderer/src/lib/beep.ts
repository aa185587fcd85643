/** How long the notification beep lasts, in seconds. */
export const BEEP_SECONDS = 0.15;

let context: AudioContext | undefined;

/** Plays a short beep made with the Web Audio API (no audio file); silent where unsupported. */
export function playBeep(): void {
  if (typeof AudioContext === 'undefined') return;
  try {
    context ??= new AudioContext();
    if (context.state === 'suspended') void context.resume().catch(() => undefined);
    const at = context.currentTime;
    const oscillator = context.createOscillator();
    const gain = context.createGain();
    oscillator.type = 'sine';
    oscillator.frequency.setValueAtTime(880, at);
    gain.gain.setValueAtTime(0.2, at);
    gain.gain.exponentialRampToValueAtTime(0.001, at + BEEP_SECONDS);
    oscillator.connect(gain);
    gain.connect(context.destination);
    oscillator.start(at);
    oscillator.stop(at + BEEP_SECONDS);
  } catch {
    // No audio output (or blocked): the notification itself still shows.
  }
}
