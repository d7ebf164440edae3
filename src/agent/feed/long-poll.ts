/**
 * The `long-poll` feed: `GET …/peers?wait=30&since=<version>` held by the directory until the
 * version moves, in the background while the scheduler goes on renewing. The first read of a
 * run is a plain one: only a list confirmed in this run may be the base of a delta. So is the
 * first read after a failure: a directory that comes back confirms the list at once instead of
 * holding the request for the whole wait.
 */
import { type Feed, type FeedHost, feedCredential, takeHandout } from "./feed.js";
import { LONG_POLL_MIN_SPACING_MS, LONG_POLL_WAIT_SECONDS } from "./transport.js";

export class LongPollFeed implements Feed {
  readonly transport = "long-poll" as const;
  running = false;
  /** The last long-poll failed: the next one is not held, so a returning directory confirms at once. */
  private failed = false;

  constructor(private readonly host: FeedHost) {}

  async turn(): Promise<void> {
    const { host } = this;
    const credential = feedCredential(host);
    if (!credential) return;
    const base = host.sync.current;
    const waitSeconds = base && !this.failed && !host.failures.down ? LONG_POLL_WAIT_SECONDS : 0;
    const startedAt = Date.now();
    this.running = true;
    void host.client
      .peers(credential, base?.etag ?? null, host.signal, base ? { ...(waitSeconds ? { waitSeconds } : {}), since: base.version } : {})
      .then((reply) => {
        this.running = false;
        if (host.stopped() || credential !== host.lease.credential) return; // a new credential: this answer is moot
        host.requests.add("long_poll", reply.outcome);
        const now = Date.now();
        host.sync.feedAt = Math.max(now, startedAt + LONG_POLL_MIN_SPACING_MS);
        const outcome = takeHandout(host, reply);
        this.failed = outcome === "failed" || outcome === "refused";
        if (!this.failed) {
          const change = host.transports.longPollAnswered(now, outcome === "ok" ? 200 : 304, now - startedAt, waitSeconds * 1000);
          if (change) host.changed(change);
        }
      })
      .finally(() => {
        this.running = false;
        host.wake();
      });
  }

  stop(): void {}
}
