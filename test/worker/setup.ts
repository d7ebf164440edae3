// Loop freedom, enforced for every Worker test: the Worker and the Durable Object run in this
// isolate, so replacing fetch here covers both. Any outbound request rejects and fails the test
// that made it. (vitest.config.ts also points the runtime's outbound service at a trap.)
import { afterEach } from "vitest";

export const outboundAttempts: string[] = [];

globalThis.fetch = async (input: RequestInfo | URL) => {
  const url = input instanceof Request ? input.url : String(input);
  outboundAttempts.push(url);
  throw new Error(`outbound request forbidden in peerdir: ${url}`);
};

afterEach(() => {
  const made = outboundAttempts.splice(0);
  if (made.length > 0) throw new Error(`the directory made outbound requests: ${made.join(", ")}`);
});
