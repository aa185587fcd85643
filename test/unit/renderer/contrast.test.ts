import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

const CSS = readFileSync(
  new URL('../../../renderer/src/styles/theme.css', import.meta.url),
  'utf8',
);

/** The custom properties declared in the block that starts at `selector`. */
function tokens(selector: string): Map<string, string> {
  const start = CSS.indexOf(selector);
  if (start < 0) throw new Error(`no ${selector} block in theme.css`);
  const open = CSS.indexOf('{', start);
  const block = CSS.slice(open + 1, CSS.indexOf('}', open));
  return new Map(
    [...block.matchAll(/(--[\w-]+)\s*:\s*([^;]+);/g)].map((m) => [m[1]!, m[2]!.trim()]),
  );
}

const LIGHT = tokens(':root {');
const DARK = new Map([...LIGHT, ...tokens(":root[data-theme='dark']")]);
const SYSTEM_DARK = new Map([...LIGHT, ...tokens(":root:not([data-theme='light'])")]);

type Rgba = [number, number, number, number];

/** `#rrggbb` or `rgba(r, g, b, a)` as channels 0–255 and alpha 0–1. */
function parse(color: string): Rgba {
  const hex = /^#([0-9a-f]{6})$/i.exec(color);
  if (hex) {
    const n = parseInt(hex[1]!, 16);
    return [(n >> 16) & 255, (n >> 8) & 255, n & 255, 1];
  }
  const rgba = /^rgba?\(([^)]+)\)$/.exec(color);
  if (rgba) {
    const [r, g, b, a = 1] = rgba[1]!.split(',').map(Number) as number[];
    return [r!, g!, b!, a];
  }
  throw new Error(`unsupported colour ${color}`);
}

/** `fg` drawn over the opaque `bg`. */
function over(fg: Rgba, bg: Rgba): Rgba {
  const a = fg[3];
  return [0, 1, 2].map((i) => fg[i]! * a + bg[i]! * (1 - a)).concat(1) as Rgba;
}

/** WCAG 2 relative luminance. */
function luminance([r, g, b]: Rgba): number {
  const f = (c: number) => {
    const s = c / 255;
    return s <= 0.03928 ? s / 12.92 : ((s + 0.055) / 1.055) ** 2.4;
  };
  return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
}

/** WCAG 2 contrast ratio of token `fg` on token `bg` in `theme`. */
function contrast(theme: Map<string, string>, fg: string, bg: string): number {
  const value = (name: string) => {
    const v = theme.get(name);
    if (!v) throw new Error(`token ${name} missing`);
    return parse(v);
  };
  const back = value(bg);
  const [hi, lo] = [luminance(over(value(fg), back)), luminance(back)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

/** Text (foreground token) on the surfaces (background tokens) it appears on. */
const TEXT: [fg: string, bgs: string[], where: string][] = [
  ['--faint', ['--panel', '--panel-2', '--accent-soft'], 'list times, "No messages yet"'],
  ['--muted', ['--panel', '--panel-2', '--accent-soft', '--chat-bg', '--bg'], 'secondary text'],
  ['--text', ['--panel', '--panel-2', '--accent-soft', '--chat-bg', '--bg'], 'text'],
  ['--danger', ['--danger-soft', '--panel'], 'failure text'],
  ['--danger-text', ['--danger'], '"Resend all" and other danger buttons'],
  ['--accent-text', ['--accent', '--accent-strong'], 'primary buttons, unread badge'],
  ['--accent', ['--panel', '--accent-soft'], 'links, sender names'],
  ['--online', ['--panel'], '"Online"'],
  ['--warn', ['--warn-soft', '--panel'], 'offline banner, throttle notice'],
  ['--bubble-out-text', ['--bubble-out', '--quote-out'], 'my messages, a quote in them'],
  ['--bubble-out-meta', ['--bubble-out'], 'times and ticks in my messages'],
  ['--bubble-in-text', ['--bubble-in'], 'their messages'],
];

describe.each([
  ['light', LIGHT],
  ['dark (setting)', DARK],
  ['dark (system)', SYSTEM_DARK],
])('text contrast ≥ 4.5:1, %s theme', (_name, theme) => {
  it.each(TEXT)('%s on %j (%s)', (fg, bgs) => {
    for (const bg of bgs) {
      expect(contrast(theme, fg, bg), `${fg} on ${bg}`).toBeGreaterThanOrEqual(4.5);
    }
  });
});

describe('theme tokens', () => {
  it('the system dark theme is the same as the dark setting', () => {
    expect(SYSTEM_DARK).toEqual(DARK);
  });
});
