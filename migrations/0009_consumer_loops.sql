-- What each node's agent last said of its local consumers (spegel, k3s): whether they ask it for
-- peers in a loop, their rate (requests a minute), the endpoint and since when (epoch ms). Written
-- only when that changes (src/cluster/consumer-loops.ts), so a restarted or woken object still
-- shows a loop that an agent reported once; a node's row goes when the node id is forgotten.
CREATE TABLE node_consumer_loops (
  node TEXT PRIMARY KEY,
  looping INTEGER NOT NULL,
  requests_per_minute INTEGER NOT NULL,
  endpoint TEXT,
  since INTEGER NOT NULL
);
