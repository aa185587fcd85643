/** English messages of the desktop screens (kept apart so that they can grow on their own). */
export default {
  desktop: {
    title: 'desktop',
  },
};
