/**
 * Local consumers as the agent and the directory both speak of them: the agent endpoints a
 * consumer (spegel, k3s-style clients) asks for peers, whose requests the agent counts and
 * watches for loops. Constants only, so the agent can import them without zod.
 */
export const CONSUMER_ENDPOINTS = ["/v1-k3s/p2p", "/v1-rke2/p2p", "/id", "/bootstrap", "/peers"] as const;
export type ConsumerEndpoint = (typeof CONSUMER_ENDPOINTS)[number];
