/** The Hono environment every route and middleware shares. */
export interface AppEnv {
  Bindings: Env;
  Variables: {
    /** SHA-256 (hex) of the bearer token, set by `nodeAuth`. */
    tokenHash: string;
    /** Which admin secret the caller presented, set by `adminAuth`. */
    adminRole: "write" | "read";
  };
}
