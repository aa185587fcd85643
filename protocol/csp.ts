/**
 * The one inline `<style>` the renderer needs: the emoji picker
 * (`emoji-picker-element`) puts its styles in its shadow root that way. The
 * web server's Content-Security-Policy allows exactly this text by its hash
 * (`style-src 'self' 'sha256-…'`), never inline styles in general;
 * `test/unit/renderer/emojiPickerCsp.test.ts` recomputes it from the
 * installed package, so an upgrade that changes the styles fails there.
 */
export const EMOJI_PICKER_STYLE_HASH = "'sha256-rg2BpwZ4T9EADaas/dlxn0KsISPDXXIabE9pnJ++3UQ='";
