/**
 * What rides on registrations and renewals besides addrs and labels, from the parts that have
 * something to tell: reachability (readiness, probe reports) and local consumers' loops. Each
 * part says what is new and hears what the directory took; this joins them into the one
 * `RenewalExtras` the lease sends with.
 */
import type { RenewalExtras } from "./lease.js";
import type { ConsumerLoops } from "./outputs/consumer-loops.js";

/**
 * `reachability` plus the consumer-loop report while the directory has not taken the current one
 * (the first renewal of a run states it once; then only changes go, on the socket or over HTTP).
 * The directory stores it, so a new socket need not restate it.
 */
export function withConsumerReports(reachability: RenewalExtras, consumers: ConsumerLoops): RenewalExtras {
  return {
    renewalFields(now, changesOnly) {
      const fields = reachability.renewalFields(now, changesOnly);
      const report = consumers.pendingReport();
      return report ? { ...fields, consumers: report } : fields;
    },
    acknowledge(fields) {
      reachability.acknowledge(fields);
      if (fields.consumers) consumers.acknowledge(fields.consumers);
    },
    unacknowledged: () => reachability.unacknowledged(),
    restate: () => reachability.restate(),
    clusterPolicy: (policy) => reachability.clusterPolicy(policy),
  };
}
