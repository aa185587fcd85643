import { parseArgs } from 'node:util';

/** How big a run of `bench/client.ts` is. */
export interface ClientBenchOptions {
  json: boolean;
  quick: boolean;
  /** Messages in the big conversation. */
  bigMessages: number;
  /** Other people writing to the reader (each its own conversation). */
  otherSenders: number;
  /** Messages each other sender writes. */
  perOtherSender: number;
  /** One message in this many of the big conversation is the reader's own (from another device). */
  ownEvery: number;
  /** Opens of the big conversation after the first (median reported). */
  reopens: number;
  /** Messages to scroll through. */
  scrollMessages: number;
  /** Pixels scrolled per animation frame. */
  scrollStep: number;
  /** Messages in flight while seeding. */
  inFlight: number;
  /** Where to write CPU profiles of an open and of the scroll (`--profile DIR`), if anywhere. */
  profileDir?: string;
}

/** Parses the command line: `--json`, `--quick`, and overrides of the sizes. */
export function clientBenchOptions(argv = process.argv.slice(2)): ClientBenchOptions {
  const { values } = parseArgs({
    args: argv,
    options: {
      json: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      messages: { type: 'string' },
      senders: { type: 'string' },
      scroll: { type: 'string' },
      reopens: { type: 'string' },
      profile: { type: 'string' },
    },
  });
  const quick = values.quick ?? false;
  const num = (v: string | undefined, fallback: number) => (v === undefined ? fallback : Number(v));
  return {
    json: values.json ?? false,
    quick,
    bigMessages: num(values.messages, quick ? 1_000 : 10_000),
    otherSenders: num(values.senders, quick ? 9 : 49),
    perOtherSender: quick ? 10 : 20,
    ownEvery: 4,
    reopens: num(values.reopens, quick ? 3 : 7),
    scrollMessages: num(values.scroll, quick ? 300 : 3_000),
    scrollStep: 100,
    inFlight: 500,
    ...(values.profile ? { profileDir: values.profile } : {}),
  };
}
