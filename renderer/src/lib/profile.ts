import { authorized, call } from '../../../client/api';
import { mePatchAnswerSchema } from '../../../protocol';

/** Changes the signed-in person's display name (`PATCH /api/me`); returns the name the server kept. */
export async function changeDisplayName(
  c: { url: string; token: string },
  displayName: string,
): Promise<string> {
  const json = await call(
    `${c.url}/api/me`,
    authorized(c.token, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ displayName }),
    }),
  );
  return mePatchAnswerSchema.parse(json).displayName ?? displayName;
}
