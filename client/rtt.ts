/**
 * Round-trip time estimation as TCP does it (RFC 6298: smoothed RTT and its
 * variation, RTO = SRTT + max(G, 4·RTTVAR)), so that a device retransmits a
 * lost packet after about what its link really takes rather than after the
 * server's fixed ack timeout. Samples come only from exchanges that were not
 * retransmitted (Karn's rule: an answer to a repeated packet cannot tell
 * which copy it answers).
 */
export class RttEstimator {
  private srtt: number | undefined;
  private rttvar = 0;

  constructor(
    /** Shortest timeout it ever gives. */
    private readonly floorMs: number,
    /** Clock granularity G. */
    private readonly granularityMs = 1,
  ) {}

  /** Adds one measured round trip. */
  sample(ms: number): void {
    const r = Math.max(0, ms);
    if (this.srtt === undefined) {
      this.srtt = r;
      this.rttvar = r / 2;
      return;
    }
    this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
    this.srtt = 0.875 * this.srtt + 0.125 * r;
  }

  /** The smoothed round trip, once measured. */
  get smoothed(): number | undefined {
    return this.srtt;
  }

  /** The retransmission timeout, at least the floor; undefined before the first sample. */
  timeout(): number | undefined {
    if (this.srtt === undefined) return undefined;
    return Math.max(this.floorMs, this.srtt + Math.max(this.granularityMs, 4 * this.rttvar));
  }
}

/** Shortest wait for `msg:A` before an early copy of `msg:R` is sent (Linux TCP's minimum RTO). */
export const MIN_SERVER_RTO_MS = 200;
/** Shortest wait for `ack:N` after `msg:A` before the message is sent again. */
export const MIN_DELIVERY_RTO_MS = 300;
