// Bindings that `wrangler types` cannot see because they are optional secrets.
interface Env {
  /** Optional: a second admin secret that may call the admin GET routes only. */
  ADMIN_READ_TOKEN?: string;
  /** Optional: the retired TOKEN_KEY, whose tokens are still accepted during a key rotation. */
  TOKEN_KEY_PREVIOUS?: string;
}

// Optional bindings: declared by operators who want them (see docs/metrics.md), absent otherwise.
interface Env {
  /** Optional: a Workers Analytics Engine dataset; one data point per request (see http/analytics.ts). */
  ANALYTICS?: AnalyticsEngineDataset;
}

// Tuning that only tests change (documented defaults apply when absent).
interface Env {
  /** Optional: seconds between an isolate's updates of its revocation list (worker/revocations.ts); default 60. */
  REVOCATION_SYNC_SECONDS?: string;
}
