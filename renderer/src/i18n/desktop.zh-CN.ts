import type en from './desktop.en-US';
import type { Shape } from './shape';

/** 简体中文 messages of the desktop screens (same keys as desktop.en-US). */
const zh: Shape<typeof en> = {
  desktop: {
    title: 'desktop',
  },
};

export default zh;
