// @vitest-environment happy-dom
/**
 * The web server allows exactly one inline `<style>`: the emoji picker's,
 * by hash (protocol/csp.ts). This recomputes the hash from the installed
 * `emoji-picker-element`, so an upgrade that changes its styles fails here
 * (with the new value to put in protocol/csp.ts) instead of leaving the
 * picker unstyled in browsers.
 */
import 'fake-indexeddb/auto';
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { EMOJI_PICKER_STYLE_HASH } from '../../../protocol';

describe("the emoji picker's style and the CSP", () => {
  it('the one <style> the picker puts in its shadow root has the allowed hash', async () => {
    const { default: Picker } = await import('emoji-picker-element/picker.js');
    // One well-formed emoji: the picker loads its data as soon as it exists.
    const data = [{ annotation: 'grinning face', emoji: '😀', group: 0, order: 1, version: 1 }];
    const picker = new Picker({
      dataSource: `data:application/json,${encodeURIComponent(JSON.stringify(data))}`,
    });
    const styles = picker.shadowRoot!.querySelectorAll('style');
    expect(styles).toHaveLength(1);
    const hash = createHash('sha256').update(styles[0]!.textContent!, 'utf8').digest('base64');
    expect(`'sha256-${hash}'`).toBe(EMOJI_PICKER_STYLE_HASH);
    // Let its data load finish before the environment goes away.
    const { database } = picker as unknown as {
      database: { ready(): Promise<void>; close(): Promise<void> };
    };
    await database.ready();
    await database.close();
  });
});
