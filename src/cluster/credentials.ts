/**
 * Who may speak for a node: the cluster's join tokens (by hash) and which node each node
 * credential belongs to. Only hashes are held; the Durable Object mints and hashes secrets.
 */
import type { JoinTokenRecord } from "./records.js";
import { done, refuse, type Result } from "./refusals.js";
import type { DirectoryStore } from "./store.js";

export type Principal = { kind: "join"; token: JoinTokenRecord } | { kind: "node" };

export class Credentials {
  readonly #joinTokens = new Map<string, JoinTokenRecord>();
  /** Node credential hash → node id. */
  readonly #owners = new Map<string, string>();

  constructor(
    private readonly store: Pick<DirectoryStore, "insertJoinToken" | "deleteJoinToken">,
    joinTokens: readonly JoinTokenRecord[],
    credentials: Iterable<{ credentialHash: string; id: string }>,
    private readonly onRetire: (hash: string) => void = () => {},
  ) {
    for (const token of joinTokens) this.#joinTokens.set(token.hash, token);
    for (const { credentialHash, id } of credentials) this.#owners.set(credentialHash, id);
  }

  /** Whether `tokenHash` is one of this cluster's join tokens (expired ones included). */
  isJoinToken(tokenHash: string): boolean {
    return this.#joinTokens.has(tokenHash);
  }

  /** What a request's token is: a join token that still works, or `node`'s own credential. */
  authenticate(node: string, tokenHash: string, now: number): Result<Principal> {
    const token = this.#joinTokens.get(tokenHash);
    if (token) {
      if (token.expiresAt !== null && now >= token.expiresAt) return refuse({ kind: "join-token-expired" });
      return done({ kind: "join", token });
    }
    const owner = this.#owners.get(tokenHash);
    if (owner === node) return done({ kind: "node" });
    if (owner !== undefined) return refuse({ kind: "credential-of-another-node", node });
    return refuse({ kind: "unknown-token" });
  }

  ownerOf(credentialHash: string): string | undefined {
    return this.#owners.get(credentialHash);
  }

  bind(credentialHash: string, node: string): void {
    this.#owners.set(credentialHash, node);
  }

  /** Forgets a credential; `retired` (the default) tells `onRetire`, so the edge refuses it too. */
  unbind(credentialHash: string, retired = true): void {
    if (this.#owners.delete(credentialHash) && retired) this.onRetire(credentialHash);
  }

  addJoinToken(token: JoinTokenRecord): void {
    this.store.insertJoinToken(token);
    this.#joinTokens.set(token.hash, token);
  }

  /** Removes the join token with `id`; returns it, or undefined when there is none. */
  revokeJoinToken(id: string): JoinTokenRecord | undefined {
    const token = [...this.#joinTokens.values()].find((t) => t.id === id);
    if (!token) return undefined;
    this.#joinTokens.delete(token.hash);
    this.store.deleteJoinToken(id);
    this.onRetire(token.hash);
    return token;
  }

  /** Oldest first. */
  joinTokens(): JoinTokenRecord[] {
    return [...this.#joinTokens.values()].sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : 1));
  }
}
