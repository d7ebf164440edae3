/**
 * The `poll` feed: one `GET …/peers` with If-None-Match per --poll-interval (jittered ±10 %).
 * Its `check()` is also what tells a refusal or an outage from a watch upgrade that cannot get
 * through, since a failed upgrade gives no status.
 */
import { jitter } from "../backoff.js";
import { type Feed, type FeedHost, type FeedOutcome, feedCredential, takeHandout } from "./feed.js";

export class PollFeed implements Feed {
  readonly transport = "poll" as const;
  readonly running = false;

  constructor(private readonly host: FeedHost) {}

  async turn(): Promise<void> {
    await this.check();
  }

  /** One ETag poll; schedules the next one an interval later. */
  async check(): Promise<FeedOutcome> {
    const { host } = this;
    const credential = feedCredential(host);
    if (!credential) return "refused";
    const reply = await host.client.peers(credential, host.sync.etag, host.signal);
    if (host.stopped()) return "failed";
    host.requests.add("peers", reply.outcome);
    host.sync.feedAt = Date.now() + jitter(host.pollIntervalMs, 0.1, host.random);
    return takeHandout(host, reply);
  }

  stop(): void {}
}
