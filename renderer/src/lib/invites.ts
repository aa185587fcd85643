/** How an invite code looks: 16–64 of `A-Z a-z 0-9 _ -` (what the server makes is 22). */
const CODE = /^[A-Za-z0-9_-]{16,64}$/;
/** Where a code sits in an invite link: `…/#/invite/CODE`. */
const IN_LINK = /#\/invite\/([A-Za-z0-9_-]{16,64})\/?$/;

/**
 * The invite link for `code` on the server at `serverUrl`: the web client's
 * address with `#/invite/CODE`. Opened in a browser it shows the sign-up with
 * the code filled in; pasted into the desktop app's invite field it works too.
 */
export function inviteLink(serverUrl: string, code: string): string {
  return `${serverUrl.replace(/\/+$/, '')}/#/invite/${code}`;
}

/** The invite code in what a person typed or pasted: a bare code or an invite link; else undefined. */
export function inviteCodeFrom(text: string): string | undefined {
  const trimmed = text.trim();
  if (CODE.test(trimmed)) return trimmed;
  return IN_LINK.exec(trimmed)?.[1];
}

/** The invite code of a location hash (`#/invite/CODE`), if it is an invite link. */
export function inviteFromHash(hash: string): string | undefined {
  return IN_LINK.exec(hash)?.[1];
}
