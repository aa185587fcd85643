import { defineConfig } from 'vitest/config';

/**
 * The tests StrykerJS runs against each mutant (`npm run mutation`): the
 * in-process unit and integration tests of the delivery path. Tests that run
 * the server in a child process cannot see an in-process mutant, and the
 * three-seed history checker is too slow to run per mutant.
 */
export default defineConfig({
  test: {
    environment: 'node',
    include: [
      'test/unit/outbox.test.ts',
      'test/unit/acks.test.ts',
      'test/unit/groupCommit.test.ts',
      'test/unit/storage.test.ts',
      'test/unit/store.test.ts',
      'test/integration/sixPackets.test.ts',
      'test/integration/offline.test.ts',
      'test/integration/devices.test.ts',
      'test/integration/groups.test.ts',
      'test/integration/ackRetransmit.test.ts',
      'test/integration/badInput.test.ts',
    ],
    // A mutant that hangs a test is caught by this timeout (a failure) well
    // before Stryker's own timeout would end the whole run.
    testTimeout: 10_000,
    hookTimeout: 10_000,
    fileParallelism: false,
  },
});
