/**
 * The network tests (test/network/*, e2e 12) fail where network namespaces
 * cannot be created, unless the person skips them on purpose with
 * TICKLINE_SKIP_NETWORK=<reason>; a silent skip is not an outcome.
 */
import { describe, expect, it } from 'vitest';
import { networkDecision, SKIP_NETWORK } from '../support/netns';

describe('whether a network test file runs', () => {
  it('runs where namespaces can be created', () => {
    expect(networkDecision('the loss scenario', undefined, undefined)).toEqual({ run: true });
  });

  it('fails, saying why and how to opt out, where they cannot', () => {
    const decision = networkDecision('the loss scenario', undefined, 'not root');
    expect(decision).toMatchObject({ run: false });
    expect('failure' in decision && decision.failure).toEqual(
      expect.stringMatching(
        new RegExp(`^the loss scenario cannot run: .*\\(not root\\).*${SKIP_NETWORK}=<the reason>`),
      ),
    );
  });

  it('is skipped, with the reason, only when the person says so', () => {
    for (const unavailable of [undefined, 'not root']) {
      expect(networkDecision('the loss scenario', 'a laptop without root', unavailable)).toEqual({
        run: false,
        skipped: `the loss scenario SKIPPED on purpose: ${SKIP_NETWORK}=a laptop without root`,
      });
    }
  });

  it('does not take an empty reason for one', () => {
    expect(networkDecision('the loss scenario', ' ', undefined)).toMatchObject({
      run: false,
      failure: expect.stringContaining(`${SKIP_NETWORK} is set but empty`),
    });
  });
});
