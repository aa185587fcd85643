import { shallowRef } from 'vue';

/** The keys a name is compared by (see `lookAlikeKeys` in protocol/skeleton.ts). */
export type LookAlikeKeys = (name: string) => readonly string[];

/**
 * The look-alike comparison, once its confusables table (a chunk of its own,
 * outside the first view) is loaded: `'loading'` until then, `'failed'` when
 * it could not be (then every name is shown with its username).
 */
export const lookAlike = shallowRef<LookAlikeKeys | 'loading' | 'failed'>('loading');

let loading: Promise<void> | undefined;

/**
 * Loads the table (once; again after a failure). Resolves either way: a
 * failure leaves {@link lookAlike} `'failed'` and is passed to `onError`.
 */
export function loadLookAlike(onError: (error: unknown) => void): Promise<void> {
  loading ??= import('../../../protocol/skeleton').then(
    (m) => {
      lookAlike.value = m.lookAlikeKeys;
    },
    (error: unknown) => {
      loading = undefined;
      lookAlike.value = 'failed';
      onError(error);
    },
  );
  return loading;
}
