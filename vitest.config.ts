/**
 * Two projects:
 * - "workers": the Worker and Durable Object inside workerd (@cloudflare/vitest-plugin), with
 *   every outbound request failing — loop-freedom is a property the whole suite runs under.
 * - "node": plain-module unit tests and end-to-end tests that start the real Worker in local
 *   workerd (miniflare) and real agent processes.
 */
import { availableParallelism } from "node:os";
import { cloudflareTest } from "@cloudflare/vitest-plugin";
import { defineConfig } from "vitest/config";

import { TEST_ADMIN_READ_TOKEN, TEST_ADMIN_TOKEN, TEST_TOKEN_KEY } from "./test/support/constants.js";

// The Workers integration reads wrangler.toml through wrangler, which would announce "Using
// secrets defined in .dev.vars" once per test file; the tests bind their own secrets below.
process.env.WRANGLER_LOG ??= "warn";

export default defineConfig({
  test: {
    projects: [
      {
        plugins: [
          cloudflareTest({
            wrangler: { configPath: "./wrangler.toml" },
            // workerd's own diagnostics of faults the tests cause on purpose (an object reset
            // mid-write) stay out of a passing run; a failing test still reports its error.
            verbose: false,
            miniflare: {
              // The failed-authentication limit per address is lifted here: many tests send bad tokens
              // from the one address the test runner has. test/e2e/edge-auth.test.ts tests the real one.
              ratelimits: { AUTH_FAILURES: { namespace_id: "1001", simple: { limit: 1_000_000_000, period: 60 } } },
              bindings: { ADMIN_TOKEN: TEST_ADMIN_TOKEN, ADMIN_READ_TOKEN: TEST_ADMIN_READ_TOKEN, TOKEN_KEY: TEST_TOKEN_KEY },
              // The directory must never call out: any outbound fetch rejects, failing its test.
              outboundService: (request: Request) => {
                throw new Error(`outbound request forbidden in peerdir tests: ${request.method} ${request.url}`);
              },
            },
          }),
        ],
        test: { name: "workers", include: ["test/worker/**/*.test.ts"], setupFiles: ["test/worker/setup.ts"] },
      },
      {
        test: {
          name: "node",
          include: ["test/unit/**/*.test.ts", "test/e2e/**/*.test.ts"],
          environment: "node",
          globalSetup: ["test/support/global-setup.ts"],
          // At least two files at once, even on 2 cores (vitest's default there is one): the
          // end-to-end files spend much of their time waiting (on timers, backoffs, agents'
          // intervals, workerd starting), and each starts its own Worker and agents on free ports
          // of its own, so they overlap without sharing anything. Three at once on 2 cores ran
          // into the 60 s test time-out on a loaded machine. The Worker tests above are CPU-bound
          // (a workerd per file) and keep vitest's default; a different pool size needs a group
          // of its own, run after them.
          maxWorkers: Math.max(2, availableParallelism() - 1),
          sequence: { groupOrder: 1 },
          testTimeout: 60_000,
          hookTimeout: 60_000,
        },
      },
    ],
  },
});
