/**
 * A new message id: 128 random bits as 22 base64url characters. Uses
 * `crypto.getRandomValues`, which (unlike `randomUUID`) also exists in
 * pages served over plain http on a LAN.
 */
export function newMessageId(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  let binary = '';
  for (const b of bytes) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}
