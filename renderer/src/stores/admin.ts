import { defineStore } from 'pinia';
import { ref } from 'vue';
import {
  createInvite,
  fetchAdminUsers,
  fetchInvites,
  fetchMe,
  issueResetCode,
  revokeInvite,
  updateAdminUser,
} from '../../../client/accountsApi';
import type {
  AdminUser,
  AdminUserPatch,
  CreateInviteBody,
  CreatedInvite,
  Invite,
  ResetCode,
} from '../../../protocol';
import { errorKey } from '../lib/accountErrors';
import { useSessionStore } from './session';

/** A reset code just issued, with whom it is for (shown once). */
export interface IssuedReset extends ResetCode {
  userId: string;
  name: string;
}

/**
 * The admin screen's state: whether the signed-in person is an admin (asked
 * of the server each time Settings opens), the accounts and the invites; the
 * last invite made and the last reset code issued, shown once.
 */
export const useAdminStore = defineStore('admin', () => {
  const session = useSessionStore();
  const isAdmin = ref(false);
  const users = ref<AdminUser[]>([]);
  const invites = ref<Invite[]>([]);
  const created = ref<CreatedInvite | null>(null);
  const issued = ref<IssuedReset | null>(null);
  /** The i18n key and parameters of the last failure. */
  const error = ref<[string, Record<string, unknown>] | null>(null);

  /** Runs a call, keeping its failure for the view; undefined when it failed. */
  async function attempt<T>(run: () => Promise<T>): Promise<T | undefined> {
    try {
      const value = await run();
      error.value = null;
      return value;
    } catch (e) {
      error.value = errorKey(e);
      return undefined;
    }
  }

  /** Asks whether the person is an admin; if so, loads accounts and invites. */
  async function load(): Promise<void> {
    const c = session.credentials();
    if (!c) return;
    // A code shown once stays shown only until Settings is opened again.
    created.value = null;
    issued.value = null;
    const me = await attempt(() => fetchMe(c));
    isAdmin.value = me?.isAdmin === true;
    if (!isAdmin.value) return;
    await Promise.all([reloadUsers(), reloadInvites()]);
  }

  async function reloadUsers(): Promise<void> {
    const c = session.credentials();
    if (c) users.value = (await attempt(() => fetchAdminUsers(c))) ?? users.value;
  }

  async function reloadInvites(): Promise<void> {
    const c = session.credentials();
    if (c) invites.value = (await attempt(() => fetchInvites(c))) ?? invites.value;
  }

  /** Disables or enables an account, makes it admin or not. */
  async function setUser(userId: string, patch: AdminUserPatch): Promise<void> {
    const c = session.credentials();
    if (!c) return;
    const user = await attempt(() => updateAdminUser(c, userId, patch));
    if (user) users.value = users.value.map((u) => (u.userId === userId ? user : u));
  }

  /** Issues a reset code for an account; it is kept in {@link issued} to be shown once. */
  async function resetCode(user: AdminUser): Promise<void> {
    const c = session.credentials();
    if (!c) return;
    const code = await attempt(() => issueResetCode(c, user.userId));
    issued.value = code ? { ...code, userId: user.userId, name: user.username } : null;
  }

  /** Makes an invite; its code is kept in {@link created} to be shown once. */
  async function invite(body: CreateInviteBody): Promise<void> {
    const c = session.credentials();
    if (!c) return;
    const made = await attempt(() => createInvite(c, body));
    if (made) {
      created.value = made;
      await reloadInvites();
    }
  }

  /** Revokes an invite. */
  async function revoke(id: string): Promise<void> {
    const c = session.credentials();
    if (!c) return;
    const done = await attempt(async () => {
      await revokeInvite(c, id);
      return true;
    });
    if (!done) return;
    if (created.value?.id === id) created.value = null;
    await reloadInvites();
  }

  return {
    isAdmin,
    users,
    invites,
    created,
    issued,
    error,
    load,
    setUser,
    resetCode,
    invite,
    revoke,
  };
});
