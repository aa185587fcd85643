/** English messages of the accounts screens (kept apart so that they can grow on their own). */
export default {
  accounts: {
    title: 'accounts',
  },
};
