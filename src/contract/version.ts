/**
 * The release version of the agent and the CLI, stamped into their bundles by scripts/build.mjs
 * (so a copied dist/agent.mjs still knows it); "dev" when run from sources.
 */
declare const __PEERDIR_VERSION__: string | undefined;

export const VERSION: string = typeof __PEERDIR_VERSION__ === "string" ? __PEERDIR_VERSION__ : "dev";
