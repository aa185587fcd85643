import type en from './accounts.en-US';
import type { Shape } from './shape';

/** 简体中文 messages of the accounts screens (same keys as accounts.en-US). */
const zh: Shape<typeof en> = {
  accounts: {
    title: 'accounts',
  },
};

export default zh;
